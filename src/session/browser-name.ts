// A readable name for a session's browser, from its User-Agent header, for "Your sessions" and
// `npm run sessions`. User agents come from clients: control characters are escaped (they would
// drive an admin's terminal), and a page escapes the rest as HTML.
import Bowser from 'bowser';

const BROWSER_WIDTH = 40;

/** "Firefox 133 on Linux"; a user agent no browser can be read from is shown shortened, as it is. */
export function browserName(userAgent: string | undefined): string {
  if (!userAgent) return '-';
  let parsed: Bowser.Parser.ParsedResult | undefined;
  try {
    parsed = Bowser.parse(userAgent);
  } catch {
    parsed = undefined;
  }
  const name = parsed?.browser.name;
  if (!name) return shorten(printable(userAgent), BROWSER_WIDTH);
  const major = /^\d+/.exec(parsed?.browser.version ?? '')?.[0];
  const os = parsed?.os.name;
  return shorten(printable(`${name}${major ? ` ${major}` : ''}${os ? ` on ${os}` : ''}`), BROWSER_WIDTH);
}

/** Control and format characters as `\xNN` / `\u{N}`, so text from a client cannot drive a terminal. */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (char) => {
    const code = char.codePointAt(0) as number;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

function shorten(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}
