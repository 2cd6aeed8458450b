// How a Patroni answer to a state-changing request is judged. Pure, so every status the
// reference lists is covered by a unit test.

import { ExitCode, type ExitCodeValue } from '../errors.js';

export type ReplyOutcome = 'ok' | 'refused' | 'unknown' | 'failed';

export interface JudgedReply {
  outcome: ReplyOutcome;
  exitCode: ExitCodeValue;
}

const UNKNOWN = /status unknown|may still be in progress/iu;

export function judgeReply(status: number, body = ''): JudgedReply {
  if (status >= 200 && status < 300) return { outcome: 'ok', exitCode: ExitCode.ok };
  // 503 "Switchover status unknown…": the server itself cannot say whether it happened.
  if (status === 503 && UNKNOWN.test(body)) return { outcome: 'unknown', exitCode: ExitCode.outcomeUnknown };
  // 4xx, 503 with a reason, and Patroni's 500 "Can't schedule … in the paused state" are refusals:
  // the server checked and said no.
  if ((status >= 400 && status < 500) || status === 503 || (status === 500 && /paused state/iu.test(body))) {
    return { outcome: 'refused', exitCode: ExitCode.preconditionRefused };
  }
  return { outcome: 'failed', exitCode: ExitCode.unexpected };
}
