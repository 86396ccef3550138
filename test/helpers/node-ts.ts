// How tests start a `.ts` file in a child Node: package.json promises Node 22.12 or newer, and
// before 22.18 type stripping needs a flag (and warns that it is experimental, which would land
// on the stderr some tests read). Node 24, which CI runs, needs neither.
// `process.features.typescript` is 'strip' (or 'transform') when it is on, false or absent when not.
const stripsTypes = Boolean((process.features as { typescript?: string | false }).typescript);

export const NODE_TS_FLAGS: readonly string[] = stripsTypes ? [] : ['--experimental-strip-types', '--disable-warning=ExperimentalWarning'];

/**
 * For a spawned Node given an environment of its own: the run's compile cache (test/temp-root.ts),
 * so it reuses what the Nodes before it compiled.
 */
export const compileCacheEnv = (): Record<string, string> => {
  const dir = process.env.NODE_COMPILE_CACHE;
  return dir ? { NODE_COMPILE_CACHE: dir } : {};
};

/** The arguments for `node` to run this `.ts` file with these arguments. */
export const nodeTs = (file: string, ...args: string[]): string[] => [...NODE_TS_FLAGS, file, ...args];
