// Package enforce turns verdicts into actions on devices: it holds the
// action policy, the safety guards, the desired state of every adapter and
// the audit trail. Adapters (enforce/edl, enforce/webhook, enforce/panos,
// enforce/umbrella, enforce/msgraph, enforce/ldapgroup) implement Adapter;
// cmd registers them in one explicit list and hands them to New.
//
// A verdict goes through the policy (Policy.Evaluate), which proposes
// actions; each proposal then passes the guards in this order: the
// allowlist (never stored, never sent), the width limit on address blocks,
// one live action per (target, adapter), the rule's mode (automatic or
// pending approval), the blast-radius limit per adapter and window (over it
// an action waits for approval and an alert is raised) and dry-run (kept and
// audited, never sent). Approved actions are applied by Service.Tick with
// retries and exponential backoff, undone when their time to live ends,
// and repaired by reconciliation where an adapter can read its device back.
//
// Every step is written to the AuditSink before it takes effect: if the
// audit record cannot be written, the step is not taken. The desired state
// and pending approvals live in a Store (FileStore: one JSON document
// replaced atomically), so they survive restarts.
//
// Concurrency: a Service is safe for concurrent use. One mutex guards its
// state; adapter calls run outside it, one goroutine per adapter per tick,
// so a slow device delays only its own actions. See LOCKS.md.
package enforce
