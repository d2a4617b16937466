package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// This file words the mistakes in how ctitui is called the way a person
// would: cobra and pflag report them in their own terms ("strconv.ParseInt:
// parsing ...", "accepts 1 arg(s), received 0"), and cobra suggests a
// command for a typo only at the top level, and not at all once a command
// checks its arguments.

// suggestDistance is how many edits a typo may be from a name for ctitui
// to suggest the name.
const suggestDistance = 2

// suggestCommands makes every command with subcommands answer an unknown
// one with the names it may have meant: "ctitui user lst" suggests list.
// It must run before typedArgs, which wraps what it sets.
func suggestCommands(cmd *cobra.Command) {
	if cmd.HasSubCommands() {
		cmd.SuggestionsMinimumDistance = suggestDistance
		if !cmd.Runnable() {
			// cobra checks the arguments of a runnable command only: one
			// that only groups others (cobra's completion) would answer
			// a typo with its help and exit 0.
			cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
		check := cmd.Args
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if check == nil || check(cmd, args) == nil {
				return nil
			}
			return unknownCommand(cmd, args[0])
		}
	}
	for _, sub := range cmd.Commands() {
		suggestCommands(sub)
	}
}

// checkHelpTopics makes "ctitui help TOPIC" fail on an unknown topic, as
// "ctitui TOPIC" does, with the same suggestions, rather than print the help
// of the nearest command and exit 0.
func checkHelpTopics(root *cobra.Command) {
	for _, help := range root.Commands() {
		if help.Name() != "help" || help.Run == nil {
			continue
		}
		show := help.Run
		help.RunE = func(cmd *cobra.Command, args []string) error {
			if found, rest, err := root.Find(args); err == nil && len(rest) > 0 && found.HasSubCommands() {
				return usageError{unknownCommand(found, rest[0])}
			}
			show(cmd, args)
			return nil
		}
	}
}

// unknownCommand is the error for name, which is none of cmd's commands.
func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if names := closest(name, cmd.SuggestionsFor(name)); len(names) > 0 {
		return fmt.Errorf("%s; did you mean %s?", msg, orList(quoteAll(names)))
	}
	return fmt.Errorf("%s; '%s --help' lists the commands", msg, cmd.CommandPath())
}

// closest keeps, of the names cobra suggests for typed, those fewest edits
// away: "fsh" suggests fish and zsh, not bash too.
func closest(typed string, names []string) []string {
	best := -1
	var kept []string
	for _, n := range names {
		switch d := editDistance(strings.ToLower(typed), strings.ToLower(n)); {
		case best < 0 || d < best:
			best, kept = d, []string{n}
		case d == best:
			kept = append(kept, n)
		}
	}
	return kept
}

// flagError words an error of pflag's: what was wrong with which flag, and
// what it wants. It is every command's FlagErrorFunc.
func flagError(cmd *cobra.Command, err error) error {
	var (
		notExist *pflag.NotExistError
		invalid  *pflag.InvalidValueError
	)
	switch {
	case errors.As(err, &notExist):
		// "user lst --format json": the flag is fine, the command is not;
		// pflag stopped at the flag before cobra looked at the command.
		if args := cmd.Flags().Args(); cmd.HasSubCommands() && len(args) > 0 && cmd.Args != nil && cmd.Args(cmd, args) != nil {
			return usageError{unknownCommand(cmd, args[0])}
		}
		name := notExist.GetSpecifiedName()
		if notExist.GetSpecifiedShortnames() == "" {
			if similar := closest(name, similarFlags(cmd, name)); len(similar) > 0 {
				for i, f := range similar {
					similar[i] = "--" + f
				}
				return usagef("%s; did you mean %s?", err, orList(similar))
			}
		}
	case errors.As(err, &invalid):
		// pflag's own start, which names the flag as it was typed; its end
		// was the parser's complaint ("strconv.ParseInt: parsing ...").
		return usagef("invalid argument %q for %q flag: %s", invalid.GetValue(), flagNames(invalid.GetFlag()), wantValue(invalid))
	}
	return usageError{err}
}

// flagNames is how a flag is named in a message: --name, or -n, --name.
func flagNames(f *pflag.Flag) string {
	if f.Shorthand != "" && f.ShorthandDeprecated == "" {
		return "-" + f.Shorthand + ", --" + f.Name
	}
	return "--" + f.Name
}

// wantValue says what the flag of err takes, in place of the parser's
// complaint about what it was given.
func wantValue(err *pflag.InvalidValueError) string {
	var num *strconv.NumError
	isNum := errors.As(err, &num)
	switch err.GetFlag().Value.Type() {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		switch {
		case isNum && errors.Is(num.Err, strconv.ErrRange):
			return "the number is too large"
		case isNum:
			return "want a whole number, such as 10"
		}
	case "bool":
		return "want true or false"
	}
	// A flag of ctitui's own type says it in its own words.
	return err.Unwrap().Error()
}

// similarFlags returns the names of cmd's flags that are a typo away from
// name.
func similarFlags(cmd *cobra.Command, name string) []string {
	var similar []string
	seen := map[string]bool{}
	visit := func(f *pflag.Flag) {
		if f.Hidden || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		if editDistance(strings.ToLower(name), f.Name) <= suggestDistance || strings.HasPrefix(f.Name, strings.ToLower(name)) {
			similar = append(similar, f.Name)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return similar
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(t)]
}

// exclusiveGroup matches cobra's error for flags that exclude each other
// (MarkFlagsMutuallyExclusive): the group, and those given. Compiled when
// first needed: at every start, it was a third of package main's init.
var exclusiveGroup = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^if any flags in the group \[([a-z0-9 -]+)\] are set none of the others can be; \[([a-z0-9 -]+)\] were all set$`)
})

// flagGroupError words cobra's error about a group of flags, such as
// "--disabled and --locked cannot be used together; give at most one of
// --disabled, --active or --locked". An error it does not know is kept as it
// is.
func flagGroupError(err error) error {
	m := exclusiveGroup().FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	dashed := func(names string) []string {
		flags := strings.Fields(names)
		for i, f := range flags {
			flags[i] = "--" + f
		}
		return flags
	}
	group := dashed(m[1])
	// In the group's order, as the command's help lists them; cobra sorts
	// them by name.
	given := slices.DeleteFunc(slices.Clone(group), func(f string) bool { return !slices.Contains(dashed(m[2]), f) })
	msg := strings.Join(given[:len(given)-1], ", ") + " and " + given[len(given)-1] + " cannot be used together"
	if len(group) > len(given) {
		msg += "; give at most one of " + orList(group)
	}
	return errors.New(msg)
}

// argsErrors are the errors of cobra's argument checks that count:
// ExactArgs, MaximumNArgs, MinimumNArgs, RangeArgs and, for a command
// without subcommands, NoArgs. Compiled when first needed, as
// exclusiveGroup.
var argsErrors = sync.OnceValue(func() (e struct{ exact, atMost, atLeast, rang, none *regexp.Regexp }) {
	e.exact = regexp.MustCompile(`^accepts (\d+) arg\(s\), received (\d+)$`)
	e.atMost = regexp.MustCompile(`^accepts at most (\d+) arg\(s\), received (\d+)$`)
	e.atLeast = regexp.MustCompile(`^requires at least (\d+) arg\(s\), only received (\d+)$`)
	e.rang = regexp.MustCompile(`^accepts between (\d+) and (\d+) arg\(s\), received (\d+)$`)
	e.none = regexp.MustCompile(`^unknown command ".*" for ".*"$`)
	return e
})

// argsError words the failure of cmd's argument check, err: which argument
// is missing or which one is too many, in place of cobra's "accepts 1
// arg(s), received 0". An error it does not know is kept as it is.
func argsError(cmd *cobra.Command, args []string, err error) error {
	if cmd.HasSubCommands() {
		return err // an unknown command: suggestCommands worded it
	}
	// most is the most arguments the command takes, or -1 when there were
	// too few of them.
	most := -1
	msg := err.Error()
	number := func(s string) int {
		n, _ := strconv.Atoi(s) // \d+ matched; a count too large for int is 0, and the error stays worded
		return n
	}
	re := argsErrors()
	exactArgs, atMostArgs, atLeastArgs, rangeArgs, noArgs := re.exact, re.atMost, re.atLeast, re.rang, re.none
	switch m := (*regexp.Regexp).FindStringSubmatch; {
	case m(exactArgs, msg) != nil:
		if want := number(m(exactArgs, msg)[1]); len(args) > want {
			most = want
		}
	case m(atMostArgs, msg) != nil:
		most = number(m(atMostArgs, msg)[1])
	case m(atLeastArgs, msg) != nil:
	case m(rangeArgs, msg) != nil:
		if lo, hi := number(m(rangeArgs, msg)[1]), number(m(rangeArgs, msg)[2]); len(args) >= lo {
			most = hi
		}
	case noArgs.MatchString(msg):
		most = 0
	default:
		return err
	}
	help := fmt.Sprintf("'%s --help'", cmd.CommandPath())
	if most < 0 {
		want := "an argument"
		if names := argNames(cmd.Use); len(args) < len(names) {
			want = names[len(args)]
		}
		return fmt.Errorf("%s: missing %s; see %s", pathBelowRoot(cmd), want, help)
	}
	extra := args[min(most, len(args)):]
	switch {
	case len(extra) == 0:
		return err // not what the message said: keep it
	case most == 0:
		return fmt.Errorf("%s takes no arguments, got %q; see %s", pathBelowRoot(cmd), extra[0], help)
	}
	return fmt.Errorf("%s: unexpected argument %q; see %s", pathBelowRoot(cmd), extra[0], help)
}

// pathBelowRoot is cmd's path without the root's name, which every error
// line already starts with: "user add".
func pathBelowRoot(cmd *cobra.Command) string {
	path := cmd.CommandPath()
	if _, below, ok := strings.Cut(path, " "); ok {
		return below
	}
	return path
}

// argNames returns the positional arguments a usage line names first: the
// words in capitals after the command's name, up to the first flag or
// optional part, such as EMAIL.
func argNames(use string) []string {
	var names []string
	for _, word := range strings.Fields(use)[1:] {
		if strings.HasPrefix(word, "-") || strings.HasPrefix(word, "[") || word != strings.ToUpper(word) {
			break
		}
		names = append(names, strings.TrimSuffix(word, "..."))
	}
	return names
}

// quoteAll returns each name in double quotes.
func quoteAll(names []string) []string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return quoted
}

// orList joins items as a person lists alternatives: "a", "a or b",
// "a, b or c".
func orList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
