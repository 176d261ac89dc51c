// kstatus-check prints what kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status, the library behind
// Flux's health checks and `kubectl wait`-like tools) computes for Kubernetes objects.
//
// Input on stdin: JSON objects, one after another (one per line or not), JSON arrays of objects,
// or `kubectl get -o json` lists (kind List / *List with items). Output, one line per object:
//
//	<metadata.name> <status> <message>
//
// where <status> is InProgress, Failed, Current, Terminating, NotFound or Unknown.
// Exit status: 0, or 1 on unreadable input or an object kstatus cannot compute.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: kstatus-check < objects.json  (prints <name> <kstatus status> <message> per object)")
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	if err := run(os.Stdin, out); err != nil {
		out.Flush()
		fmt.Fprintln(os.Stderr, "kstatus-check:", err)
		os.Exit(1)
	}
}

func run(r io.Reader, w io.Writer) error {
	dec := json.NewDecoder(r)
	dec.UseNumber() // integers become int64 (normalize), as in Kubernetes, so NestedInt64 reads them
	for {
		var v any
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading JSON: %w", err)
		}
		if err := emit(normalize(v), w); err != nil {
			return err
		}
	}
}

// emit prints one line per object in v: an object, an array of them, or a List with items.
func emit(v any, w io.Writer) error {
	switch t := v.(type) {
	case []any:
		for _, item := range t {
			if err := emit(item, w); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		if kind, _ := t["kind"].(string); strings.HasSuffix(kind, "List") {
			if items, ok := t["items"].([]any); ok {
				return emit(items, w)
			}
		}
		u := &unstructured.Unstructured{Object: t}
		res, err := status.Compute(u)
		if err != nil {
			return fmt.Errorf("%s: %w", u.GetName(), err)
		}
		fmt.Fprintf(w, "%s %s %s\n", u.GetName(), res.Status, oneLine(res.Message))
		return nil
	default:
		return fmt.Errorf("expected a JSON object or array, got %T", v)
	}
}

// normalize turns json.Number into int64 (or float64) the way Kubernetes' own JSON decoding does,
// so unstructured.NestedInt64 finds metadata.generation and status.observedGeneration.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	default:
		return v
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
