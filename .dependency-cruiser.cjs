// Import rules for src/ (docs/architecture.md): no cycles, and imports point down the pipeline
//   bin -> cli -> commands -> measure -> config -> engine / queryset / gates / serve -> report -> results -> util
// `npm test` runs this (scripts/test.sh); test/architecture.test.ts shows it failing on a cycle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import cycle: split the shared part into a lower module.', from: {}, to: { circular: true } },
    {
      name: 'entry-points-are-not-imported',
      severity: 'error',
      comment: 'bin.ts, cli-main.ts and cli.ts sit at the top: nothing below may import them.',
      from: { pathNot: '^src/(bin|cli|cli-main)\\.ts$' },
      to: { path: '^src/(bin|cli|cli-main)\\.ts$' },
    },
    {
      name: 'commands-only-from-the-top',
      severity: 'error',
      comment: 'commands/ is wiring at the process boundary: only bin.ts, cli-main.ts, cli.ts and other commands use it.',
      from: { pathNot: '^src/(bin\\.ts|cli-main\\.ts|cli\\.ts|cli-transport\\.ts|commands/)' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'measure-below-commands',
      severity: 'error',
      comment: 'Only commands call measure(); the layers below it never do.',
      from: { pathNot: '^src/(bin\\.ts|cli-main\\.ts|cli\\.ts|commands/|measure\\.ts)' },
      to: { path: '^src/measure\\.ts$' },
    },
    {
      name: 'config-above-the-engine',
      severity: 'error',
      comment: 'The engine, results, renderers and the query loader get plain values, not the config layer.',
      from: { path: '^src/(engine|results|report|queryset|tsig|util|serve)/' },
      to: { path: '^src/(config|transport-config|ops-config|paths|segment|start-at)\\.ts$|^src/gates/config\\.ts$' },
    },
    {
      name: 'engine-is-not-above',
      severity: 'error',
      comment: 'The engine produces results; it never reaches up to renderers, gates or the server.',
      from: { path: '^src/engine/' },
      to: { path: '^src/(report|gates|serve|kubernetes)/' },
    },
    {
      name: 'renderers-read-results-only',
      severity: 'error',
      comment: 'report/ is pure renderers over the results model.',
      from: { path: '^src/report/' },
      to: { path: '^src/(engine|gates|serve|queryset|kubernetes)/' },
    },
    {
      name: 'capacity-search-is-pure',
      severity: 'error',
      comment: 'capacity/ decides from Reports (search, verdicts, ramp windows); commands/capacity.ts runs the measurement and prints.',
      from: { path: '^src/capacity/' },
      to: { path: '^src/(engine|commands|serve|kubernetes|report)/|^src/measure\\.ts$' },
    },
    {
      name: 'results-are-the-bottom',
      severity: 'error',
      comment: 'results/ is the model everything else reads; it imports only util and errors (and query-set types).',
      from: { path: '^src/results/' },
      to: { path: '^src/(engine|report|gates|serve|kubernetes|commands)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
