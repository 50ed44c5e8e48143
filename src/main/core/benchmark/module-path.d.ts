// electron-vite's `?modulePath` import: the built file's path, bundled as its own entry.
declare module '*?modulePath' {
  const path: string
  export default path
}
