// One test body for the shared bucketing vectors (../shared/vectors/
// bucketing.json), run by every runtime the package ships to: Node
// (vectors.test.mjs), headless Chromium (browser.test.mjs, a plain module
// page and the Vite app) and workerd (worker.test.mjs). It takes the
// package's exports and the vector cases, and returns what failed instead
// of throwing, so each runtime reports the same list.
//
// Each case is checked twice: bucket(salt, unit) equal to the Python
// reference as an f64 (Object.is), and through whole-flag evaluation, a
// rollout flag and a weighted-split flag salted and bucketed as users write
// them, against the reference's in_rollout and variant.

export function checkVectors(api, cases) {
  const { Flags, bucket } = api;
  const failures = [];
  const flags = {};
  cases.forEach((c, i) => {
    const got = bucket(c.salt, c.unit);
    if (!Object.is(got, c.bucket)) failures.push(`case ${i}: bucket(${JSON.stringify(c.salt)}, ${JSON.stringify(c.unit)}) = ${got}, want ${c.bucket}`);
    flags[`roll${i}`] = { salt: c.salt, bucket_by: 'unit', percentage: c.percentage };
    const variants = {};
    for (const [name] of c.weights) variants[name] = name;
    flags[`exp${i}`] = { salt: c.salt, bucket_by: 'unit', variants, default_variant: c.weights[0][0], split: c.weights };
  });
  const f = new Flags({ flags });
  try {
    cases.forEach((c, i) => {
      const ctx = f.context({ unit: c.unit });
      const roll = f.evaluate(`roll${i}`, ctx);
      if (roll.value !== c.in_rollout || roll.reason !== 'SPLIT') {
        failures.push(`case ${i}: rollout ${c.percentage}% of ${JSON.stringify(c.unit)} gave ${JSON.stringify(roll)}, want ${c.in_rollout}`);
      }
      // The same through a plain object (the other context path).
      const exp = f.evaluate(`exp${i}`, { unit: c.unit });
      if (exp.variant !== c.variant || exp.reason !== 'SPLIT') {
        failures.push(`case ${i}: split gave ${JSON.stringify(exp)}, want ${c.variant}`);
      }
      ctx.free();
    });
  } finally {
    f.free();
  }
  return { count: cases.length, failures };
}
