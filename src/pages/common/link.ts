/**
 * The pages' links to their own set-ups: the query string rewritten in place as settings change
 * (no history entry per keystroke), and a copy of the link for the clipboard.
 */

/** Puts `query` in the address bar, keeping the path and the fragment. */
export function replaceQuery(query: URLSearchParams): void {
  const search = query.toString();
  const url = `${location.pathname}${search ? `?${search}` : ''}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
}

/**
 * Copies `text` to the clipboard; false when the browser refuses (no permission, not a secure
 * context), and the caller says where else the link is.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Marks a control as holding a replaced value (or clears the mark). */
export function markInvalid(target: Element | null, invalid: boolean): void {
  if (!target) return;
  if (invalid) target.setAttribute('aria-invalid', 'true');
  else target.removeAttribute('aria-invalid');
}
