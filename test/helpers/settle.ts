// Waiting for a state that comes in its own time (a close completing, a peer's accept, a
// counter reaching zero) instead of a fixed sleep, which a loaded machine outlasts.

/**
 * Calls `check` every `every` ms until it returns true or `ms` have passed, and resolves
 * either way: the caller then asserts on the state itself, so a state that never comes fails
 * there, with its own message.
 */
export async function settle(check: () => boolean | Promise<boolean>, ms = 5000, every = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check()) && Date.now() < end) await new Promise((r) => setTimeout(r, every));
}
