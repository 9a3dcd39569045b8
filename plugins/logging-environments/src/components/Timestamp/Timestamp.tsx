const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "5 minutes ago", "in 2 hours", "just now". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const delta = at - now;
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms)
      return format.format(Math.round(delta / ms), unit);
  }
  return 'just now';
}

/**
 * A point in time, relative ("5 minutes ago") with the exact time on hover
 * and in the markup.
 *
 * @internal
 */
export const Timestamp = ({ value }: { value?: string }) => {
  if (!value) return <>never</>;
  const at = new Date(value);
  const exact = Number.isNaN(at.getTime()) ? value : at.toLocaleString();
  return (
    <time dateTime={value} title={exact}>
      {relativeTime(value)}
    </time>
  );
};
