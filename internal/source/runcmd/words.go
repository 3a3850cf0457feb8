package runcmd

import "github.com/dockguard/dockguard/internal/facts"

// Flag is one flag of a run/create command as written: its name (the long
// name, without dashes), its value, and the indices in cmd.Args of the word
// holding the flag and of the word holding its value (the same word for
// --flag=value and -m512m; -1 when unknown).
type Flag struct {
	Name    string
	Spelled string
	Value   string
	Word    int
	VWord   int
}

// Words is the layout of a run/create command: its flags in order, the
// index in cmd.Args of the run/create word and of the image word. It is
// for tools that rewrite the command line (harden). ok is false when cmd
// is not a run/create command or does not parse.
type Words struct {
	Engine  string
	SubWord int
	Flags   []Flag
	Image   int
}

// Layout returns the Words of a run/create command.
func Layout(cmd *facts.Command) (w Words, ok bool) {
	if cmd == nil {
		return w, false
	}
	inv, ok, err := recognize(cmd)
	if !ok || err != nil {
		return w, false
	}
	words := cmd.Args[inv.start:]
	sc := inv.table.parseFlags(words, literals(cmd, inv.start))
	if sc.err != nil || len(sc.pos) == 0 {
		return w, false
	}
	w.Engine = inv.engine
	w.SubWord = inv.subWord
	w.Image = inv.start + sc.pos[0]
	for _, t := range sc.tokens {
		f := Flag{Name: t.def.name, Spelled: t.spelled, Value: t.value, Word: -1, VWord: -1}
		if t.word >= 0 {
			f.Word = inv.start + t.word
		}
		if t.vword >= 0 {
			f.VWord = inv.start + t.vword
		}
		w.Flags = append(w.Flags, f)
	}
	return w, true
}
