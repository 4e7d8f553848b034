/** ‖a − b‖₂ / ‖b‖₂, the measure the tolerance policy states for gradients and directions. */
export function relativeNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    s += b[i] ** 2;
  }
  return Math.sqrt(d / s);
}
