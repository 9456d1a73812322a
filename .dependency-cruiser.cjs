/**
 * The layering of src/ (README, "Development"): core ← market ← engines (ibkr, sim, queue, delta, lake,
 * signals) ← app ← commands ← cli ← main, and app ← api (the library entry). `npm run lint` fails on any violation.
 */
const OURS = '^src/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles in src/, not even type-only ones: a cycle means two modules are one.',
      from: { path: OURS },
      to: { circular: true },
    },
    {
      name: 'core-imports-nothing-of-ours',
      severity: 'error',
      comment:
        'src/core is the kernel every layer imports; it imports nothing of ours at run time. The context may name the types of the services it carries (import type).',
      from: { path: '^src/core/' },
      to: { path: OURS, pathNot: '^src/core/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'market-is-pure',
      severity: 'error',
      comment: 'src/market (calendars, contracts, ET time, instruments) depends only on the kernel.',
      from: { path: '^src/market/' },
      to: { path: OURS, pathNot: '^src/(core|market)/' },
    },
    {
      name: 'config-is-ground-floor',
      severity: 'error',
      comment: 'src/config (the schema and its loading) stands on the kernel and the market calendar only.',
      from: { path: '^src/config/' },
      to: { path: OURS, pathNot: '^src/(core|market|config)/' },
    },
    {
      name: 'delta-is-generic',
      severity: 'error',
      comment: 'src/delta is a generic Delta Lake library: it knows nothing of futures, the CLI or IB.',
      from: { path: '^src/delta/' },
      to: { path: OURS, pathNot: '^src/(core|delta)/' },
    },
    {
      name: 'object-store-sdk-in-delta-storage-only',
      severity: 'error',
      comment:
        'The S3 SDK is reached only through the Delta storage interface (src/delta/storage/s3.ts); everything else sees locations.',
      from: { pathNot: '^src/delta/storage/s3\\.ts$' },
      to: { path: '(^|/)node_modules/@aws-sdk/' },
    },
    {
      name: 'signals-are-pure',
      severity: 'error',
      comment:
        'src/signals are pure functions of their inputs and their config section: no lake, no DuckDB, no IB, no CLI.',
      from: { path: '^src/signals/' },
      to: { path: OURS, pathNot: '^src/(core|market|config|signals)/' },
    },
    {
      name: 'signals-load-no-engine',
      severity: 'error',
      comment: 'The signal functions never read IB or touch a database.',
      from: { path: '^src/signals/' },
      to: { path: '^node_modules/(@stoqey/ib|@duckdb)/' },
    },
    {
      name: 'engines-stay-below-the-use-cases',
      severity: 'error',
      comment:
        'Engines (ibkr, sim, queue, delta, lake, signals, config) never import use cases, commands or the CLI.',
      from: { path: '^src/(ibkr|sim|queue|delta|lake|signals|config|market|core)/' },
      to: { path: '^src/(app|commands|cli|api|main\\.ts)' },
    },
    {
      name: 'engines-do-not-import-each-other',
      severity: 'error',
      comment: 'ibkr, sim and queue are side by side: combining them is the job of src/app.',
      from: { path: '^src/(ibkr|sim|queue)/' },
      to: { path: '^src/(ibkr|sim|queue|delta|lake|signals)/', pathNot: '^src/$1/' },
    },
    {
      name: 'lake-is-our-tables-only',
      severity: 'error',
      comment: 'src/lake reads and writes our tables; it never talks to IB and knows no signal logic.',
      from: { path: '^src/lake/' },
      to: { path: '^src/(ibkr|sim|queue|signals)/' },
    },
    {
      name: 'only-ibkr-imports-stoqey',
      severity: 'error',
      comment: 'src/ibkr is the one place that speaks to IB through @stoqey/ib.',
      from: { path: OURS, pathNot: '^src/ibkr/' },
      to: { path: '^node_modules/@stoqey/ib/' },
    },
    {
      name: 'only-the-wire-adapter-imports-stoqey',
      severity: 'error',
      comment:
        'Inside src/ibkr, stoqey-wire.ts adapts @stoqey/ib to our wire interface; nothing else sees the client.',
      from: { path: '^src/ibkr/', pathNot: '^src/ibkr/stoqey-wire\\.ts$' },
      to: { path: '^node_modules/@stoqey/ib/' },
    },
    {
      name: 'signals-do-no-io',
      severity: 'error',
      comment: 'The signal functions read no files, sockets or processes: they get everything as arguments.',
      from: { path: '^src/signals/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'lazy-imports-at-the-command-boundary',
      severity: 'error',
      comment:
        'await import() only where a command starts its work (src/commands, src/main.ts), so --help stays fast and tools can follow the data path below it; and the S3 SDK (~0.4 s to load) where the first object store is used (src/delta/storage/index.ts).',
      from: { path: OURS, pathNot: '^src/(commands/|main\\.ts|delta/storage/index\\.ts$)' },
      to: { dependencyTypes: ['dynamic-import'] },
    },
    {
      name: 'app-does-not-import-commands-or-cli',
      severity: 'error',
      comment:
        "Use cases return typed results; parsing, rendering and exit codes are the commands' and the CLI's.",
      from: { path: '^src/app/' },
      to: { path: '^src/(commands|cli)/' },
    },
    {
      name: 'the-library-entry-is-a-top',
      severity: 'error',
      comment:
        'src/api is the library entry point (package.json exports) beside the CLI: it uses the use cases, and nothing of ours imports it.',
      from: { path: OURS, pathNot: '^src/api/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'the-library-does-not-use-the-cli',
      severity: 'error',
      comment:
        'A program using the library gets results and errors, never exit codes, rendering or argv parsing (it may use the document schemas of the commands).',
      from: { path: '^src/api/' },
      to: { path: '^src/(commands|cli|main\\.ts)', pathNot: '^src/commands/schemas/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
