/**
 * A label that switches between texts without changing its box: every text is laid out in the same
 * grid cell and all but the current one are hidden, so the widest decides the width.
 */
export function StableLabel<Key extends string>({ texts, current }: { texts: Record<Key, string>; current: Key }) {
  return (
    <span className="stable-label">
      {(Object.keys(texts) as Key[]).map((key) => (
        <span key={key} aria-hidden={key === current ? undefined : true} data-current={key === current}>
          {texts[key]}
        </span>
      ))}
    </span>
  )
}
