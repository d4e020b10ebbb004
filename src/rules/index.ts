/** The decision stage's public door: rules as data, compiled once, hot-reloaded. See docs/rules.md. */
export type { Decision, DecisionKind, FeatureValues, Reason } from './decision.ts';
export type { RuleEngine, ReloadableRuleEngine, RuleEngineOptions, ReloadResult, ReloadOrigin } from './engine.ts';
export { createRuleEngine, encodeRulesUpdate, decodeRulesUpdate } from './engine.ts';
export type { Verdict, CompiledRule, EntityList, RuleSettings } from './rule-set.ts';
export { RuleSet } from './rule-set.ts';
export { loadRuleSet, readRuleSources, compileRuleSources, type CheckResult, type KnownFeatures } from './loader.ts';
export { rulesCheckCommand } from './check-command.ts';
export { parseExpression, ExpressionError } from './parser.ts';
export { compileExpression } from './compile.ts';
export { createEventRuleEngine, type EventRulesOptions } from './event-rules.ts';
export { followRulesUpdates, publishRuleSet, rulesUpdateRecord, RULES_UPDATE_KEY } from './updates.ts';
export { LiveLists, LIVE_LIST_ID, type LiveListView, type LiveListSizes } from './live-lists.ts';
export { LiveListsFollower, type ListsLog, type LiveListsFollowerOptions, type LiveListsStats } from './live-lists-follower.ts';
export { decodeListChange, encodeListChange, listChangeKey, type ListChange, type ParsedListChange } from './list-change.ts';
export { LIST_FIELDS, type ListField } from './rule-set.ts';
