// One line per figure an issue sets a target for, in the shape `make bench` (bench/all.mjs)
// collects into its closing table: `figure | name | value | target | verdict`.

/** The line for one figure; `ok` true → PASS, false → BELOW, null → REPORTED (no target). */
export function figureLine(name, value, target, ok) {
  const verdict = ok === null ? 'REPORTED' : ok ? 'PASS' : 'BELOW';
  return `figure | ${name} | ${value} | ${target} | ${verdict}`;
}

/** Prints the line for one figure. */
export function figure(name, value, target, ok) {
  console.log(figureLine(name, value, target, ok));
}
