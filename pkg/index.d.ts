// Types of the edgeflags npm package (hand-written; every entry of the
// exports map shares them). The ruleset format is docs/ruleset.md.

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A value a flag can serve. */
export type FlagValue = JsonValue;

// ---------------------------------------------------------------- rulesets

/** RFC 3339 time (`2026-10-01T00:00:00Z`) or date (`2026-10-01`). */
export type Time = string;

/** A condition on one context attribute (docs/ruleset.md#conditions). */
export type AttributeCondition =
  | { attribute: string; op: 'eq' | 'neq'; value: string | number | boolean }
  | { attribute: string; op: 'in' | 'not_in'; values: Array<string | number | boolean> }
  | { attribute: string; op: 'contains' | 'starts_with' | 'ends_with' | 'glob'; value: string }
  | { attribute: string; op: 'lt' | 'lte' | 'gt' | 'gte'; value: number }
  | { attribute: string; op: 'semver_eq' | 'semver_lt' | 'semver_lte' | 'semver_gt' | 'semver_gte'; value: string }
  | { attribute: string; op: 'before' | 'after'; value: Time | number };

/** Membership of segments (no attribute). */
export type SegmentCondition =
  | { op: 'in_segment' | 'not_in_segment'; value: string }
  | { op: 'in_segment' | 'not_in_segment'; values: string[] };

export type Condition = AttributeCondition | SegmentCondition;

/** Weighted variants; weights are percents adding up to 100. */
export type Split = Array<{ variant: string; weight: number } | [variant: string, weight: number]>;

/** A rollout percentage that follows time (docs/ruleset.md#schedules). */
export type Schedule =
  | { type?: 'steps'; start: Time; steps: Array<[day: number, percentage: number] | { day: number; percentage: number }> }
  | { type: 'linear'; start: Time; duration_hours: number; start_percentage?: number; end_percentage?: number }
  | {
      type: 's_curve';
      start: Time;
      duration_hours: number;
      start_percentage?: number;
      end_percentage?: number;
      steepness?: number;
    };

/** A targeting rule: every condition must hold; it must serve something. */
export interface Rule {
  id?: string;
  description?: string;
  conditions?: Condition[];
  variant?: string;
  percentage?: number;
  schedule?: Schedule;
  split?: Split;
}

/** A flag in full (docs/ruleset.md#a-flag). */
export interface FlagDefinition {
  variants?: { [name: string]: FlagValue };
  type?: 'boolean' | 'string' | 'number' | 'json';
  enabled?: boolean;
  default_variant?: string;
  off_variant?: string;
  killed?: boolean;
  users?: string[];
  allowed_users?: string[];
  targets?: Array<{ variant: string; users: string[] }>;
  prerequisites?: Array<{ flag: string; variant?: string } | { flag: string; variants: string[] }>;
  rules?: Rule[];
  percentage?: number;
  rollout_percentage?: number;
  schedule?: Schedule;
  rollout_variant?: string;
  split?: Split;
  bucket_by?: string;
  salt?: string;
  owner?: string;
  description?: string;
  created?: Time;
  expires?: Time;
  tags?: string[];
}

/** A flag: in full, or one of the design notes' shorthands (`true`, `20`, `["user:1"]`). */
export type FlagInput = FlagDefinition | boolean | number | string[];

export interface SegmentDefinition {
  description?: string;
  users?: string[];
  conditions?: AttributeCondition[];
}

export interface RouteDefinition {
  id?: string;
  path: string;
  flag: string;
  upstreams: { [variant: string]: string };
}

/** A ruleset document (docs/ruleset.md). */
export interface Ruleset {
  $schema?: string;
  schema?: 1;
  version?: number;
  description?: string;
  flags: { [key: string]: FlagInput };
  segments?: { [name: string]: SegmentDefinition };
  routes?: RouteDefinition[];
}

/** A ruleset object, or its JSON text. */
export type RulesetInput = Ruleset | string;

// ---------------------------------------------------------------- contexts

/** A context attribute value; values are read as `JSON.stringify` would write them. */
export type AttributeValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | Date
  | AttributeValue[]
  | { [key: string]: AttributeValue };

/** The attributes of one user or request (`user_id`, `plan`, `country`, ...). */
export interface Attributes {
  user_id?: string | number;
  [attribute: string]: AttributeValue;
}

/** Attributes prepared once by `flags.context()`. */
export declare class PreparedContext {
  private constructor();
  /** A frozen copy of the attributes it was prepared from. */
  readonly attributes: Readonly<Attributes>;
  /**
   * Drops its remembered results. A prepared context holds no wasm memory
   * (its attributes live in JS and are laid out into the engine's one held
   * context when used), so freeing is optional; using it afterwards works.
   */
  free(): void;
}

/** A context: a plain attributes object, or a prepared one. */
export type Context = Attributes | PreparedContext;

// ---------------------------------------------------------------- results

/** Why a flag evaluated as it did. `OVERRIDE`: set by enable/disable/override. */
export type Reason =
  | 'STATIC'
  | 'DEFAULT'
  | 'TARGETING_MATCH'
  | 'SPLIT'
  | 'DISABLED'
  | 'PREREQUISITE_FAILED'
  | 'ERROR'
  | 'OVERRIDE';

/** Why the caller's default was returned. */
export type EvaluationErrorCode = 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'INVALID_CONTEXT';

/** The result of `evaluate()`. */
export interface Evaluation<T = FlagValue> {
  /** The served value, or the caller's default on error. */
  value: T;
  /** The served variant's name; null on error, or for an override matching no variant. */
  variant: string | null;
  reason: Reason;
  /** What decided: a rule id, `users`, `targets[i]` or a failed prerequisite's key. */
  ruleId?: string;
  /** Set (with reason `ERROR`) when the default was returned. */
  errorCode?: EvaluationErrorCode;
}

/** One flag in `evaluateAll()`. */
export interface FlagResult {
  value: FlagValue;
  variant: string | null;
  reason: Reason;
  errorCode?: EvaluationErrorCode;
}

/**
 * The value type a default implies: a boolean, number or string default
 * gets a value of its type (or itself back, with `TYPE_MISMATCH`); an
 * object, array or null default accepts any JSON.
 */
export type Widen<T> = T extends boolean ? boolean : T extends number ? number : T extends string ? string : FlagValue;

// ---------------------------------------------------------------- errors

export type EdgeflagsErrorCode =
  | 'INVALID_RULESET'
  | 'INVALID_CONTEXT'
  | 'INVALID_ARGUMENT'
  | 'FREED'
  | 'SYNC_FAILED'
  | 'ABI_MISMATCH'
  | 'EVENTS_FAILED';

/** One problem of a rejected ruleset, at a JSON path (`flags.x.rules[2].op`). */
export interface Problem {
  path: string;
  message: string;
}

/** Every failure the package throws. */
export declare class EdgeflagsError extends Error {
  readonly name: 'EdgeflagsError';
  readonly code: EdgeflagsErrorCode;
  /** For `INVALID_RULESET`: every problem found; for `EVENTS_FAILED`, those of a 400 answer (empty otherwise). */
  readonly problems: Problem[];
}

/** What `options.events.onError` receives: a failed `POST /v1/events`. */
export interface EventsError extends EdgeflagsError {
  readonly code: 'EVENTS_FAILED';
  /** The HTTP status, or 0 for a network error or a timeout. */
  readonly status: number;
  /** Events given up on: the batch for a 4xx other than 429 or after the last retry; 0 when it will be retried. */
  readonly dropped: number;
}

// ---------------------------------------------------------------- events

/** `flags.outcome()`'s report. */
export interface Outcome {
  /** It failed (default false). */
  error?: boolean;
  /** How long it took, 0 to 86,400,000 ms. */
  latencyMs?: number;
  /** Custom metrics' values by name (at most 20; finite, |v| <= 1e12): what custom guards read. */
  metrics?: Record<string, number>;
}

/** `flags.track()`'s fourth argument: make the event an outcome of `flag`. */
export interface TrackOutcomeOptions {
  /** The flag whose variant the outcome is counted for. */
  flag: string;
  /** It failed (default: the event is named "error"). */
  error?: boolean;
  /** How long it took, ms. */
  latencyMs?: number;
}

/** `options.events`: record experiment exposures, track events and flag usage counts, and send them to the Worker. */
export interface EventsOptions {
  /** The Worker's `POST /v1/events` URL. */
  url: string | URL;
  /** The events write key: `Authorization: Bearer` with fetch, `"key"` in the body with sendBeacon. */
  key?: string;
  /** Send when this many events are queued (default 50; at most 500 go per request). */
  flushAt?: number;
  /** Send what is queued this long after the first event (default 5000 ms; 0: only at flushAt and on flush()). */
  flushIntervalMs?: number;
  /** Most events kept waiting (default 10000); when full, the oldest are dropped and counted. */
  maxQueue?: number;
  /** Exposures remembered to send each (flag, variant, unit) once (default 10000, least recently seen forgotten first; 0: no dedup). */
  dedup?: number;
  /** Retries of a batch after 429, 5xx or a network error (default Infinity: backoff 1 s, 2 s ... 60 s). */
  maxRetries?: number;
  /** Milliseconds before a request is aborted and retried (default 10000; 0: none). */
  timeout?: number;
  /** Called for every failed request (never throws into a timer or an evaluation). */
  onError?: (error: EventsError) => void;
  /**
   * Count every answer served per flag and variant and send the counts as
   * usage events, for the Worker's flag usage and cleanup report (default
   * true; overridden keys, unknown flags and errors are not counted).
   */
  usage?: boolean;
  /** The fetch to use (default globalThis.fetch). */
  fetch?: (url: string, init: { method: 'POST'; headers: { [name: string]: string }; body: string; signal?: AbortSignal }) => Promise<Response>;
}

/** Counters of `flags.events.stats`. */
export interface EventsStats {
  /** Waiting to be sent, a batch waiting for its retry included. */
  queued: number;
  /** Accepted by the Worker (or handed to sendBeacon). */
  sent: number;
  /** Dropped unsent: the oldest of a full queue, exposures whose unit is over 1024 bytes. */
  dropped: number;
  /** In batches the Worker refused (a 4xx other than 429) or given up on after maxRetries. */
  failed: number;
  /** Requests retried. */
  retries: number;
}

/** `flags.events`: the events of an instance made with `options.events`. */
export interface FlagsEvents {
  /** A snapshot of the counters. */
  readonly stats: EventsStats;
  /** Sends what is queued now: true when all of it was accepted. */
  flush(): Promise<boolean>;
  /** Sends what is queued (one try) and stops recording, the timers and the page listeners. */
  close(): Promise<boolean>;
}

// ---------------------------------------------------------------- Flags

export interface FlagsOptions {
  /** The clock, in epoch milliseconds (default `Date.now`); schedules read it. */
  now?: () => number;
  /**
   * Opt-in (default `false`): lets `evaluateAll` build its result with a
   * function made at run time (`new Function`) for the ruleset's keys, about
   * 10x faster for that step than adding keys one by one. Without it no code
   * is ever generated. Where code generation is forbidden (a
   * Content-Security-Policy without 'unsafe-eval', Cloudflare Workers) an
   * opted-in instance falls back to adding keys one by one (a strict CSP
   * then reports a violation per load).
   */
  codegen?: boolean;
  /** Record experiment exposures, track events and flag usage counts and send them to the Worker (docs/experiments.md); without it nothing is recorded. */
  events?: EventsOptions;
}

/** Flags evaluated locally from a ruleset. */
export declare class Flags {
  /** Loads a ruleset; throws `EdgeflagsError` `INVALID_RULESET` with every problem. */
  constructor(ruleset: RulesetInput, options?: FlagsOptions);
  /** Swaps the ruleset atomically; on error throws and keeps the old one. */
  update(ruleset: RulesetInput): this;
  /** The ruleset's `version`. */
  readonly version: number;
  /** The flag keys, in ruleset order. */
  keys(): string[];
  /** Prepares a context once; throws `INVALID_CONTEXT` for a non-object or an unreadable attribute. */
  context(attributes: Attributes): PreparedContext;

  /** Whether the flag serves a truthy value; false for an unknown flag or an unusable context. */
  isEnabled(key: string, context?: Context | null): boolean;
  /** The served value; the default for an unknown flag, a default of another type, or an unusable context. */
  getValue<T extends FlagValue>(key: string, context: Context | null | undefined, defaultValue: T): Widen<T>;
  getValue(key: string, context?: Context | null): FlagValue | undefined;
  /** The served variant's name, or null. */
  variant(key: string, context?: Context | null): string | null;
  /** The full result; never throws for unknown flags or type mismatches. */
  evaluate<T extends FlagValue>(key: string, context: Context | null | undefined, defaultValue: T): Evaluation<Widen<T>>;
  evaluate(key: string, context?: Context | null): Evaluation<FlagValue | undefined>;
  /** Every flag for one context. */
  evaluateAll(context?: Context | null): { [key: string]: FlagResult };
  /** The keys of flags serving a truthy value (the X-Active-Flags header). */
  activeFlags(context?: Context | null): string[];

  /** Test helper: serve `true` (reason OVERRIDE) until `reset()`. */
  enable(key: string): this;
  /** Test helper: serve `false` (reason OVERRIDE) until `reset()`. */
  disable(key: string): this;
  /** Test helper: serve `value` over every rule, across `update()`, until `reset()`. */
  override(key: string, value: FlagValue): this;
  /** Removes one override, or all of them. */
  reset(key?: string): this;

  /** The events (`options.events`), or null without them. */
  readonly events: FlagsEvents | null;
  /**
   * Records a track event for an experiment's metrics. The unit is the
   * context's `user_id`, or the context itself when it is a string (the
   * unit of a flag bucketed by another attribute). `value`: a finite
   * number (revenue, ...). Throws `INVALID_ARGUMENT` naming the bad
   * argument; records only with `options.events`.
   */
  track(event: string, context: Context | string, value?: number): void;
  /**
   * With `options.flag`: an outcome of that flag for `context` instead
   * (`outcome(options.flag, context, {error, latencyMs, metrics: {[event]: value}})`;
   * `error` defaults to `event === "error"`). Returns the variant, or null.
   */
  track(event: string, context: Context | PreparedContext, value: number | undefined, options: TrackOutcomeOptions): string | null;
  /**
   * Records what the application saw where it used flag `key` for
   * `context`: one request of the variant the flag serves it, whether it
   * failed, how long it took and custom metrics, for guarded rollouts'
   * guards (docs/rollouts.md). Report successes too: the error rate is
   * errors over outcomes. Returns the variant (null when the flag serves
   * none: nothing recorded). Throws `INVALID_ARGUMENT` naming a bad field;
   * records only with `options.events`.
   */
  outcome(key: string, context: Context | PreparedContext, outcome?: Outcome): string | null;
  /** Sends the queued events now: true when all were accepted (true at once without events). */
  flush(): Promise<boolean>;
  /** Sends the queued events, then stops recording and the timers; evaluation goes on. */
  close(): Promise<boolean>;

  /** Frees the wasm memory now; otherwise freed on garbage collection (FinalizationRegistry). */
  free(): void;
}

/** The bucket of `unit` under `salt`, in [0, 100] (the bucketing contract). */
export declare function bucket(salt: string, unit: string): number;

// ---------------------------------------------------------------- sync

export interface SyncChange {
  version: number;
  previousVersion: number | null;
  etag: string | null;
}

export interface SyncOptions {
  /** Milliseconds between polls (default 30000); 0 polls only on `refresh()`. */
  interval?: number;
  /** Milliseconds before a poll is aborted (default 10000). */
  timeout?: number;
  /** Called after a new ruleset is loaded. */
  onChange?: (flags: Flags, change: SyncChange) => void;
  /** Called when a poll fails (the last good ruleset stays in use). */
  onError?: (error: Error) => void;
  /** Keep this instance in sync instead of creating one. */
  flags?: Flags;
  /** Start from this ruleset at once, and poll in the background. */
  ruleset?: RulesetInput;
  /** Options for the Flags instance created. */
  flagsOptions?: FlagsOptions;
  /** Extra request headers (e.g. a read key). */
  headers?: { [name: string]: string };
  /** The fetch to use (default globalThis.fetch). */
  fetch?: (url: string, init: { headers: { [name: string]: string }; signal?: AbortSignal }) => Promise<Response>;
}

/** A Flags instance kept in sync with a ruleset URL. */
export interface FlagsSync {
  readonly flags: Flags;
  /** The ETag of the ruleset in use. */
  readonly etag: string | null;
  /** The error of the last poll, or null. */
  readonly lastError: Error | null;
  /** Polls now: true when a new ruleset was loaded. */
  refresh(): Promise<boolean>;
  /** Stops polling. */
  stop(): void;
}

/** Loads a ruleset from `url` (e.g. the Worker's `/v1/ruleset`) and keeps it in sync with ETag polling. */
export declare function syncFlags(url: string | URL, options?: SyncOptions): Promise<FlagsSync>;
