// The wire shapes of `autonomous lsp`, as the Go package lsp/protocol
// defines them. This file mirrors it by hand: the extension knows nothing of
// the server but these shapes, and editors/editors_test.go checks that the
// command ids here, in package.json and in the server agree.

export const MethodState = 'autonomous/state';
export const MethodProgress = 'autonomous/progress';
export const MethodLog = 'autonomous/log';
export const MethodSession = 'autonomous/session';

/** The source of every diagnostic the server publishes. */
export const DiagnosticSource = 'autonomous';

export type Status =
  | 'pending'
  | 'running'
  | 'paused'
  | 'waiting'
  | 'stuck'
  | 'completed'
  | 'stopped'
  | 'failed'
  | 'deleted';

export interface CategoryProgress {
  name: string;
  total: number;
  passing: number;
}

export interface Progress {
  total: number;
  passing: number;
  /** 0-100, one decimal. */
  percent: number;
  categories: CategoryProgress[] | null;
  currentFeature?: string;
}

/** One row of autonomous.workflow.list. */
export interface WorkflowSummary {
  id: string;
  name: string;
  status: Status;
  phase: string;
  reason?: string;
  model: string;
  progress: Progress;
  costUsd: number;
  sessions: number;
  branch: string;
  worktree: string;
  folder: string;
  createdAt: string;
  updatedAt: string;
}

export interface StateParams {
  workflowId: string;
  name?: string;
  folder: string;
  status: Status;
  phase: string;
  reason?: string;
  session?: number;
  model: string;
  costUsd: number;
  startedAt?: string;
}

export interface ProgressParams extends Progress {
  workflowId: string;
  folder: string;
}

export interface LogEntry {
  /** RFC 3339, in the server's (so the machine's) time zone. */
  time: string;
  session: number;
  /** text, tool, result, denied, error, info, warning, dropped */
  kind: string;
  text: string;
}

export interface LogParams {
  workflowId: string;
  entries: LogEntry[];
}

export interface SessionParams {
  workflowId: string;
  session: number;
  phase: string;
  outcome: string;
  durationMs: number;
  costUsd: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  newlyPassing: number;
}

export interface SpecResult {
  id: string;
  uri: string;
  path: string;
  text?: string;
}

export interface Model {
  id: string;
  label: string;
  prices: { input: number; output: number; cacheWrite: number; cacheRead: number };
}

export interface ModelsResult {
  models: Model[];
  default: string;
}

export interface ControlResult {
  id: string;
  message: string;
}

export interface DeleteResult {
  id: string;
  branchKept?: string;
  message: string;
}

export interface SchemaSummary {
  workflowId: string;
  validatedAt?: string;
  errors: number;
  warnings: number;
  infos: number;
  problem?: string;
}

export interface ValidateResult {
  started?: string;
  results: SchemaSummary[] | null;
}

export interface RuntimeStatus {
  installed: boolean;
  package: string;
  version?: string;
  defaultVersion: string;
  path: string;
  installedAt?: string;
  problem?: string;
  installing?: boolean;
}

export interface RuntimeInstallResult {
  version: string;
  token?: string;
}

export interface ConfigUpdateResult {
  file: string;
  key: string;
}

export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  required: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorResult {
  passed: boolean;
  checks: DoctorCheck[];
}

/** A ledger entry of .autonomous/feature_list.json. */
export interface Feature {
  category: string;
  description: string;
  steps?: string[];
  passes: boolean;
  id?: string;
}
