// Runs the real patrol CLI on a pseudo-terminal (util-linux `script`), so tests can drive the real
// interactive prompts the way an operator would: wait for a prompt to appear, type an answer.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { PATROL_BIN } from './run-patrol.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]/gu;

function quote(arg: string): string {
  return `'${arg.replace(/'/gu, `'\\''`)}'`;
}

export class PtyPatrol {
  private raw = '';
  private cursor = 0;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly closed: Promise<number | null>;

  constructor(args: string[], env: Record<string, string>) {
    // A wide terminal, so prompts and messages are not wrapped in the middle of what tests match.
    const command = ['stty cols 200 rows 50 2>/dev/null;', 'exec', quote(process.execPath), quote(PATROL_BIN), ...args.map(quote)].join(' ');
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { TERM: 'xterm', COLUMNS: '200', LINES: '50', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => void (this.raw += chunk.toString('utf8'));
    this.child.stdout.on('data', collect);
    this.child.stderr.on('data', collect);
    this.closed = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Everything shown so far, without terminal escape sequences. */
  get screen(): string {
    return this.raw.replace(ANSI, '');
  }

  /** The raw bytes written to the terminal (for leak checks: secrets must not appear even here). */
  get rawOutput(): string {
    return this.raw;
  }

  /** Wait until text matching `pattern` appears after the previous match. */
  async expect(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.screen.slice(this.cursor);
      const match = pattern.exec(rest);
      if (match) {
        this.cursor += match.index + match[0].length;
        return match[0];
      }
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`timed out waiting for ${pattern} on the terminal; it shows:\n${rest.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Type text and press Enter. */
  answer(text: string): void {
    this.child.stdin.write(`${text}\r`);
  }

  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  /** Exit code of patrol (script -e passes it through). */
  async exitCode(timeoutMs = 60_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.closed;
    clearTimeout(timer);
    this.child.stdin.end();
    return code;
  }
}
