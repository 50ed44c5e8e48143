/** The cycle mark of resources/icon.png (drawn by scripts/make-icons.ts), as inline SVG. */
export function Logo({ size }: { size: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 100 100" aria-hidden="true" className="logo">
      <rect width="100" height="100" rx="22" fill="var(--logo-background)" />
      {/* a ring of radius 29 open between 20° and 75° clockwise from 12 o'clock, with a dot at its head */}
      <path d="M 59.92 22.75 A 29 29 0 1 0 78.01 42.49" fill="none" stroke="var(--logo-foreground)" strokeWidth="17" />
      <circle cx="78.01" cy="42.49" r="12.5" fill="var(--logo-foreground)" />
    </svg>
  )
}
