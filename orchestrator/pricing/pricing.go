// Package pricing turns the token usage of an agent session into a cost in USD.
//
// Prices are data, not code: they come from the user's configuration (engine/config
// sets the defaults), because model prices change more often than this program.
package pricing

// Prices are the USD prices of one model, per million tokens.
type Prices struct {
	Input      float64 `json:"input" yaml:"input"`
	Output     float64 `json:"output" yaml:"output"`
	CacheWrite float64 `json:"cacheWrite" yaml:"cacheWrite"`
	CacheRead  float64 `json:"cacheRead" yaml:"cacheRead"`
}

// Usage counts the tokens of a session, split the way the API bills them.
type Usage struct {
	InputTokens      int64 `json:"inputTokens"`
	OutputTokens     int64 `json:"outputTokens"`
	CacheReadTokens  int64 `json:"cacheReadTokens"`
	CacheWriteTokens int64 `json:"cacheWriteTokens"`
}

// Add returns the sum of two usages.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens:      u.InputTokens + v.InputTokens,
		OutputTokens:     u.OutputTokens + v.OutputTokens,
		CacheReadTokens:  u.CacheReadTokens + v.CacheReadTokens,
		CacheWriteTokens: u.CacheWriteTokens + v.CacheWriteTokens,
	}
}

// Cost is the price of u at p, in USD.
func Cost(u Usage, p Prices) float64 {
	const perMillion = 1e6
	return (float64(u.InputTokens)*p.Input +
		float64(u.OutputTokens)*p.Output +
		float64(u.CacheWriteTokens)*p.CacheWrite +
		float64(u.CacheReadTokens)*p.CacheRead) / perMillion
}
