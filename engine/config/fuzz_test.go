package config

import (
	"os"
	"strings"
	"testing"
)

// FuzzLoadFile: no input makes the loader panic; every problem it reports
// names the file; and a version 1 file that migrates gives a file in the
// current format that reads back without a structural error.
func FuzzLoadFile(f *testing.F) {
	for _, seed := range []string{
		commented,
		"version: 1\nmodel: m\nbudget: 3\nprices:\n  m: {input: 1, output: 2}\nallowedCommands: [make]\n",
		"mcp:\n  servers:\n    - {name: a, url: http://x}\n    - name: b\n      command: npx\n      env: {A: b}\n",
		"defaults: &d\n  budgetUsd: 1\nmcp: *d\n",
		"models:\n  - id: x\n    prices: {input: -1}\n",
		"version: 3\n",
		"- a\n",
		"security:\n  allow: make\n",
	} {
		f.Add([]byte(seed))
	}
	if b, err := os.ReadFile("../../testdata/config/v1.yaml"); err == nil {
		f.Add(b)
	}
	const file = "fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		c, d := Default(), newDecoder()
		_, err := d.layer(c, file, data, false)
		if err == nil {
			err = d.finish(c)
		}
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, file) && !strings.HasPrefix(line, builtIn) {
					t.Fatalf("error line %q does not name the file; whole error:\n%v", line, err)
				}
			}
		}

		doc, err := parse(file, data)
		if err != nil || doc == nil {
			return
		}
		if v, err := fileVersion(file, doc); err != nil || v != 1 {
			return
		}
		migrated, err := migrateV1(file, doc)
		if err != nil {
			return
		}
		out, err := encode(migrated)
		if err != nil {
			t.Fatalf("encode the migrated file: %v", err)
		}
		c2, d2 := Default(), newDecoder()
		if _, err := d2.layer(c2, file, out, false); err != nil || len(d2.errs) > 0 {
			t.Fatalf("the migrated file does not read back: %v %v\n--- v1:\n%s\n--- migrated:\n%s", err, d2.errs, data, out)
		}
	})
}
