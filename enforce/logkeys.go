package enforce

// Log attribute keys this package adds to internal/logkey's; they belong
// there once another package needs them.
const (
	keyAdapter = "adapter"
	keyOp      = "op"
	keyLive    = "live"
	keyLimit   = "limit"
	keyWindow  = "window"
	keyDryRun  = "dry_run"
)
