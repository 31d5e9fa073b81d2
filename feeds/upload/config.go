package upload

import "github.com/iocflow/iocflow/internal/config"

// Defaults of the upload API.
const (
	DefaultMaxBody = 32 << 20
	// FeedName is the feed that uploads are kept in.
	FeedName = "uploads"
	// TokensEnv is the environment variable that may hold API tokens.
	TokensEnv = "IOCFLOW_API_TOKENS"
)

// Config is the api section of the configuration file.
type Config struct {
	// TokensFile names a file of "token role" lines (role curator or
	// viewer). Tokens may also come from the IOCFLOW_API_TOKENS variable;
	// at least one token is needed. Never inline in the config.
	TokensFile string `yaml:"tokens_file"`
	// MaxBody bounds the size of one upload. Default 32MiB.
	MaxBody config.Size `yaml:"max_body"`
}

// Defaults fills in every unset field.
func (c *Config) Defaults() {
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
}

// Validate returns every problem of c at once. Call it after Defaults.
func (c *Config) Validate() error {
	var p config.Problems
	if c.MaxBody <= 0 {
		p.Add("max_body", "must be positive")
	}
	if c.MaxBody > MaxJSON {
		p.Add("max_body", "must be at most 256MiB, what a JSON upload may hold")
	}
	return p.Err()
}
