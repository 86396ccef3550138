// Times as a page shows them: "27 Nov 2026, 04:16 UTC" and "5 minutes ago". Pages are the same
// for everyone (no time zone is known), so absolute times are in UTC and say so.
const ABSOLUTE = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

export function absoluteTime(ms: number): string {
  return `${ABSOLUTE.format(ms)} UTC`;
}

/** How long ago `ms` was, roughly: "just now", "3 minutes ago", "2 hours ago", "4 days ago". */
export function timeAgo(ms: number, now = Date.now()): string {
  const minutes = Math.floor((now - ms) / 60_000);
  if (minutes < 1) return 'just now';
  const [count, unit] = minutes < 60 ? [minutes, 'minute'] : minutes < 48 * 60 ? [Math.floor(minutes / 60), 'hour'] : [Math.floor(minutes / 1440), 'day'];
  return `${count} ${unit}${count === 1 ? '' : 's'} ago`;
}
