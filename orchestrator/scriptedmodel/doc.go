// Package scriptedmodel plays the model's part for the real Claude Code CLI:
// it serves the Anthropic Messages API (POST /v1/messages, streaming SSE or
// a plain JSON message) on loopback and answers from a Scenario, turn by
// turn. Everything else stays real: the CLI runs the tools it is told to
// call, in a real directory, and sends their results back.
//
//	sc, err := scriptedmodel.LoadScenario("testdata/scenarios/edit-files.yaml")
//	srv, err := scriptedmodel.Start(sc, scriptedmodel.Options{})
//	defer srv.Close()
//	cmd.Env = append(agenttest.OfflineEnv(srv.URL()), "CLAUDE_CONFIG_DIR="+t.TempDir())
//	... run `claude -p ...` ...
//	if f := srv.Failures(); len(f) > 0 { t.Errorf(...) }
//
// # Conversations
//
// A request belongs to the conversation named by its X-Claude-Code-Session-Id
// header (stable over one CLI session), else to a hash of its first user
// message. A new conversation takes the first unused session whose match
// regexp matches its prompt, else the first unused session without a match,
// else gets the scenario's fallback text. The turn asked for is the number of
// assistant messages already in the request. Conversations progress
// independently, so several CLI sessions can share one server.
//
// # How CLI 2.1.331 reacts to failures (measured against this server)
//
// These are what the session runner and the loop rely on; the end-to-end
// tests of this package assert them, so a CLI upgrade that changes them fails
// there first.
//
// Retries. 429, 529, 500 and a stream cut midway are retried, by default up
// to 10 times. Every retry is announced on stdout before the wait:
//
//	{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,
//	 "retry_delay_ms":1087,"error_status":429,"error":"rate_limit",...}
//
// error_status/error are 429/"rate_limit", 529/"overloaded",
// 500/"server_error", and null/"unknown" for a cut stream. The wait follows
// retry-after when it is at most 60 s, plus a little jitter (measured:
// 1 s -> 1.01-1.12 s, 25 s -> 26.7 s, 60 s -> 62.1 s). With retry-after
// above 60 s the CLI does not retry at all and ends the session at once.
// Without retry-after it backs off from 0.5 s, doubling, capped at ~32 s,
// with up to 25% jitter: a permanent 429 without retry-after ends after
// ~171 s (delays 0.5, 1.2, 2.4, 4.1, 8.3, 16.8, 32.2, 34.9, 32.3, 38.2 s).
//
// Cheap permanent failures: CLAUDE_CODE_MAX_RETRIES=N sets the number of
// retries (0 = none; checked with 0, 1 and 2). There is no
// ANTHROPIC_MAX_RETRIES in this CLI.
//
// The end of a failed session: exit status 1, an assistant line with model
// "<synthetic>" whose text is the error, then the result line:
//
//	429: "subtype":"success","is_error":true,"terminal_reason":"api_error",
//	     "api_error_status":429,"api_error_type":"rate_limit_error",
//	     "result":"API Error: Request rejected (429) · <error.message>"
//	529: "api_error_status":529,"api_error_type":"overloaded_error",
//	     "result":"API Error: 529 <error.message>. This is a server-side issue, ..."
//	500: "api_error_status":500,"api_error_type":"api_error"
//	cut: "api_error_status":null,"api_error":"connection_failed",
//	     "result":"API Error: Connection to the API was lost (ECONNRESET). ..."
//
// Note subtype "success" with is_error true: check is_error. A cut stream's
// partial content is not shown as assistant lines; after the last streamed
// attempt the CLI tries once more at once without streaming ("stream":
// false), which this server answers (or cuts) like any other attempt.
//
// Rate limited, and until when. With an API key (or ANTHROPIC_AUTH_TOKEN),
// the CLI emitted no rate_limit_event line, and its result carried no reset
// time, even when the responses had anthropic-ratelimit-unified-status
// (allowed_warning, rejected), -reset (Unix seconds) and
// -representative-claim headers: those lines belong to claude.ai
// subscription logins, which cannot be played offline. So: a session was
// rate limited when its result has is_error and api_error_status 429 (or
// api_error_type "rate_limit_error"). The reset time is, in order:
// rate_limit_event.rate_limit_info.resetsAt (Unix seconds) when such a line
// came; else the retry_delay_ms of the last api_retry line with error_status
// 429, counted from that line; else the runner's own backoff. A 429 result
// with no api_retry line before it means the server asked for more than 60 s
// (or retries are off).
//
// Slow streams. The CLI's stream idle limit is at least 5 minutes
// (CLAUDE_STREAM_IDLE_TIMEOUT_MS can only lengthen it), so delays between
// events well under that are only slow, never an error.
//
// Isolation. CLAUDE_CONFIG_DIR=<dir> moves everything the CLI writes under
// ~/.claude and ~/.claude.json (settings, projects/<cwd>/<session>.jsonl
// transcripts, backups) into dir; tests set it to a temp dir. With
// CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 and -p, the CLI sent no request
// other than the conversation's turns.
package scriptedmodel
