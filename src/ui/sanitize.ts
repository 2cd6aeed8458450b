// Server-supplied text (member names, tags, error bodies, config values) is attacker-controlled when
// a DCS or a member is compromised. Before it reaches a terminal, every character that could move
// the cursor, change colours, retitle the window or reorder text is shown escaped instead.

// C0 controls (except none: even TAB and LF are escaped, since they break table layout), DEL,
// C1 controls, and Unicode bidi/format characters that can visually reorder or hide text.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/gu;

function escapeCodePoint(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code === 0x0a) return '\\n';
  if (code === 0x09) return '\\t';
  if (code === 0x0d) return '\\r';
  if (code === 0x1b) return '\\e';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Make one server-supplied string safe to print on a terminal. */
export function sanitizeForTerminal(text: string): string {
  return text.replace(UNSAFE, escapeCodePoint);
}

/** Like sanitizeForTerminal but keeps line breaks, for multi-line documents such as YAML config. */
export function sanitizeMultiline(text: string): string {
  return text
    .split('\n')
    .map((line) => sanitizeForTerminal(line))
    .join('\n');
}
