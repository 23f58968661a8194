/** Rules from RULES_DIR: load (validate + compile) once, or hold them in a store that reloads safely. */
export { loadRules, RULES_FILES, type LoadRulesOptions, type LoadRulesResult } from './load.ts';
export { RulesStore, RulesLoadError, type ReloadResult } from './store.ts';
