import type { ReactNode } from 'react'

/**
 * A page's title. The heading takes focus when the page is opened from the navigation, so a
 * keyboard or screen-reader user lands at the top of the new page.
 */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1 tabIndex={-1} data-page-heading="">
        {title}
      </h1>
      {children}
    </header>
  )
}
