// Package logging builds the one zap logger of a process and adapts it to
// the Temporal SDK, so SDK messages and ours share format and fields.
package logging

import (
	"fmt"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New builds a logger writing to stderr. level is debug|info|warn|error,
// format console|json.
func New(level, format string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("logging: %w", err)
	}
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	case "console", "":
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
	default:
		return nil, fmt.Errorf("logging: unknown format %q", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.OutputPaths = []string{"stderr"}
	cfg.ErrorOutputPaths = []string{"stderr"}
	return cfg.Build()
}

// Temporal adapts a zap logger to the Temporal SDK's logger interface.
// Key-value pairs become zap fields; an odd trailing key is kept under
// "extra" rather than dropped.
func Temporal(z *zap.Logger) log.Logger {
	return &temporalLogger{z: z.WithOptions(zap.AddCallerSkip(1))}
}

type temporalLogger struct{ z *zap.Logger }

var (
	_ log.Logger          = (*temporalLogger)(nil)
	_ log.WithLogger      = (*temporalLogger)(nil)
	_ log.WithSkipCallers = (*temporalLogger)(nil)
)

func (l *temporalLogger) Debug(msg string, kv ...any) { l.z.Debug(msg, fields(kv)...) }
func (l *temporalLogger) Info(msg string, kv ...any)  { l.z.Info(msg, fields(kv)...) }
func (l *temporalLogger) Warn(msg string, kv ...any)  { l.z.Warn(msg, fields(kv)...) }
func (l *temporalLogger) Error(msg string, kv ...any) { l.z.Error(msg, fields(kv)...) }

func (l *temporalLogger) With(kv ...any) log.Logger {
	return &temporalLogger{z: l.z.With(fields(kv)...)}
}

func (l *temporalLogger) WithCallerSkip(depth int) log.Logger {
	return &temporalLogger{z: l.z.WithOptions(zap.AddCallerSkip(depth))}
}

func fields(kv []any) []zap.Field {
	out := make([]zap.Field, 0, (len(kv)+1)/2)
	for i := 0; i < len(kv); i += 2 {
		if i+1 == len(kv) {
			out = append(out, zap.Any("extra", kv[i]))
			break
		}
		key, ok := kv[i].(string)
		if !ok {
			key = fmt.Sprint(kv[i])
		}
		out = append(out, zap.Any(key, kv[i+1]))
	}
	return out
}
