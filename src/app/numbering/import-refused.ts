/** An import refused because it would gut routing; nothing was changed. `--force` overrides it. */
export class ImportRefusedError extends Error {}

/** The share of the active data's numbers an import may remove without `--force` (IMPORT_MAX_SHRINK). */
export const DEFAULT_MAX_SHRINK = 0.1;
