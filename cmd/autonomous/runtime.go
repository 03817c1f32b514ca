package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/autonomous-coding/autonomous/engine/config"
	"github.com/autonomous-coding/autonomous/engine/runtime"
)

const runtimeUsage = "runtime install [--version V] | status [--json]"

// cmdRuntime manages the Claude Code CLI the tool installs for itself under
// <home>/runtime.
func cmdRuntime(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: install or status")
	}
	switch args[0] {
	case "install":
		return runtimeInstall(ctx, c, args[1:])
	case "status":
		return runtimeStatus(ctx, c, args[1:])
	default:
		return usagef("unknown subcommand %q: want install or status", args[0])
	}
}

func runtimeInstall(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("runtime install")
	version := fs.String("version", "", "the "+runtime.Package+" version (default: agent.runtimeVersion in config.yaml, else "+runtime.DefaultVersion+")")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	home := config.Home()
	v := *version
	if v != "" {
		if err := runtime.ValidateVersion(v); err != nil {
			return usagef("--version: %v", err)
		}
	} else {
		// The runtime is per user, so only the global config can pin it.
		cfg, err := config.Load(home, "")
		if err != nil {
			return fmt.Errorf("read agent.runtimeVersion: %w\n(fix the file, or pass --version %s)", err, runtime.DefaultVersion)
		}
		v = cfg.Agent.RuntimeVersion
		if v == "" {
			v = runtime.DefaultVersion
		}
		if err := runtime.ValidateVersion(v); err != nil {
			return fmt.Errorf("agent.runtimeVersion in %s: %w", config.GlobalFile(home), err)
		}
	}
	rec, err := runtime.Manager{Home: home}.Install(ctx, v, c.stderr)
	if err != nil {
		return err
	}
	verb := "installed"
	if rec.Already {
		verb = "already installed"
	}
	fmt.Fprintf(c.stdout, "%s %s %s at %s\n", verb, rec.Package, rec.Version, rec.Path)
	return nil
}

func runtimeStatus(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("runtime status")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	st, err := runtime.Manager{Home: config.Home()}.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	installed := "no: run `autonomous runtime install`"
	if st.Installed {
		installed = "yes, version " + st.Version
		if !st.InstalledAt.IsZero() {
			installed += ", on " + st.InstalledAt.Local().Format(time.DateTime)
		}
	}
	fmt.Fprintf(tw, "package\t%s\n", st.Package)
	fmt.Fprintf(tw, "installed\t%s\n", installed)
	fmt.Fprintf(tw, "pinned\t%s\n", st.DefaultVersion)
	fmt.Fprintf(tw, "path\t%s\n", st.Path)
	if st.Problem != "" {
		fmt.Fprintf(tw, "problem\t%s\n", st.Problem)
	}
	return tw.Flush()
}
