// Types of `edgeflags/openfeature` (hand-written): OpenFeature providers
// over the package's Flags. The OpenFeature types come from
// `@openfeature/core`, which both `@openfeature/server-sdk` and
// `@openfeature/web-sdk` bring along (optional peer dependencies: install
// the SDK you use). The providers match each SDK's `Provider` interface.

import type {
  ClientProviderEvents,
  EvaluationContext,
  JsonValue,
  ProviderEventEmitter,
  ProviderMetadata,
  ResolutionDetails,
  ServerProviderEvents,
  TrackingEventDetails,
} from '@openfeature/core';
import type { Attributes, Flags, FlagsOptions, RulesetInput, SyncOptions } from './index.js';

/** Where a provider's ruleset comes from: give `flags` or `ruleset`, `url`, or both. */
export interface EdgeflagsProviderOptions {
  /** Evaluate this Flags instance (from the same build: ESM `edgeflags` in the same environment). */
  flags?: Flags;
  /** Load this ruleset (object or JSON text). One that does not load gives PARSE_ERROR. */
  ruleset?: RulesetInput;
  /** Keep the ruleset in sync with this URL (the Worker's `/v1/ruleset`), polled with ETag/304 by `syncFlags`. */
  url?: string | URL;
  /** Milliseconds between polls of `url` (default 30000); 0 polls only on `refresh()`. */
  interval?: number;
  /** Milliseconds before a poll is aborted (default 10000). */
  timeout?: number;
  /** Extra request headers for `url` (e.g. `Authorization: Bearer <read key>`). */
  headers?: SyncOptions['headers'];
  /** The fetch to use (default globalThis.fetch). */
  fetch?: SyncOptions['fetch'];
  /** Options of the Flags instance the provider creates (`now`, `codegen`, `events`). */
  flagsOptions?: FlagsOptions;
}

/** What both providers share. */
declare abstract class EdgeflagsProviderBase<E extends ServerProviderEvents | ClientProviderEvents> {
  constructor(options: EdgeflagsProviderOptions);
  readonly metadata: ProviderMetadata;
  /** PROVIDER_CONFIGURATION_CHANGED, PROVIDER_STALE, PROVIDER_ERROR and PROVIDER_READY (after recovering). */
  readonly events: ProviderEventEmitter<E>;
  /** The Flags instance evaluated, or null before a ruleset is loaded. */
  readonly flags: Flags | null;
  /** Resolves once a ruleset is loaded; starts the sync of `url`. Called by the SDK. */
  initialize(context?: EvaluationContext): Promise<void>;
  /** Stops the sync. Called by the SDK. */
  onClose(): Promise<void>;
  /** Polls `url` now: true when a new ruleset was loaded. */
  refresh(): Promise<boolean>;
  /** Loads a ruleset now and emits PROVIDER_CONFIGURATION_CHANGED; throws `INVALID_RULESET` and keeps the current one. */
  update(ruleset: RulesetInput): this;
  /**
   * `flags.track(name, context, details.value, details)`, recorded with `flagsOptions.events`: an experiment's
   * track event (the unit being `targetingKey`), or with `details.flag` an outcome of that flag for guarded
   * rollouts (`details.error`, `details.latencyMs`, `details.value` as the custom metric `name`).
   */
  track(trackingEventName: string, context: EvaluationContext, trackingEventDetails?: TrackingEventDetails): void;
}

/** The provider for `@openfeature/server-sdk` (dynamic context). */
export declare class EdgeflagsProvider extends EdgeflagsProviderBase<ServerProviderEvents> {
  readonly runsOn: 'server';
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>>;
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>>;
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>>;
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>>;
}

/** The provider for `@openfeature/web-sdk` (static context). */
export declare class EdgeflagsWebProvider extends EdgeflagsProviderBase<ClientProviderEvents> {
  readonly runsOn: 'client';
  /** Maps and prepares the new static context (synchronously: no reconciling). Called by the SDK. */
  onContextChange(oldContext: EvaluationContext, newContext: EvaluationContext): void;
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): ResolutionDetails<boolean>;
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): ResolutionDetails<string>;
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): ResolutionDetails<number>;
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): ResolutionDetails<T>;
}

/** The edgeflags context of an OpenFeature context (`targetingKey` becomes `user_id`), as the core maps it. Throws `INVALID_CONTEXT`. */
export declare function toEdgeflagsContext(context: EvaluationContext | null | undefined): Attributes;

/** The OpenFeature reason of an edgeflags reason, as the core maps it (`PREREQUISITE_FAILED` is `DEFAULT`, `OVERRIDE` is `STATIC`). */
export declare function openFeatureReason(reason: string): string;
