// "The page is closing": pagehide, or the page turning hidden after beforeunload (a tab being
// closed or navigated away). A tab that is merely switched away from fires visibilitychange
// alone, and is not closing.

/**
 * Calls `callback` when the page closes (possibly more than once: the callback must be idempotent).
 * @param {Window} win
 * @param {() => void} callback
 * @returns {() => void} stops watching
 */
export function onPageClose(win, callback) {
  let unloading = false;
  const beforeunload = () => { unloading = true; };
  const pagehide = () => callback();
  const visibilitychange = () => { if (unloading && win.document.visibilityState === 'hidden') callback(); };
  win.addEventListener('beforeunload', beforeunload);
  win.addEventListener('pagehide', pagehide);
  win.document.addEventListener('visibilitychange', visibilitychange);
  return () => {
    win.removeEventListener('beforeunload', beforeunload);
    win.removeEventListener('pagehide', pagehide);
    win.document.removeEventListener('visibilitychange', visibilitychange);
  };
}
