// Package stack parses stack trace text (exception.stacktrace) of Go,
// JavaScript/Node, Python, .NET and Java into Sentry frames.
//
// Sentry wants frames oldest first (the crashing frame last); Go, V8, .NET
// and Java print the innermost frame first, Python prints it last.
package stack

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/getsentry/sentry-go"
)

// Language of a stack trace; the values are Sentry platform names.
type Language string

const (
	Unknown    Language = ""
	Go         Language = "go"
	JavaScript Language = "javascript"
	Node       Language = "node"
	Python     Language = "python"
	DotNet     Language = "csharp"
	Java       Language = "java"
)

// MaxFrames bounds the frames kept from one trace (Sentry truncates beyond
// a few hundred anyway); the innermost frames are kept.
const MaxFrames = 200

// Trace is a parsed stack trace.
type Trace struct {
	Language Language
	// Frames are oldest first.
	Frames []sentry.Frame
	// Type and Value come from the trace's own exception line, when it has
	// one ("TypeError: x is undefined", "panic: runtime error: ...").
	Type  string
	Value string
}

// LanguageFromSDK maps telemetry.sdk.language to a parser language.
func LanguageFromSDK(sdkLanguage string) Language {
	switch strings.ToLower(sdkLanguage) {
	case "go":
		return Go
	case "nodejs":
		return Node
	case "webjs":
		return JavaScript
	case "python":
		return Python
	case "dotnet":
		return DotNet
	case "java":
		return Java
	}
	return Unknown
}

// Parse parses text. hint is the language the telemetry says it comes from;
// when Unknown, or when that parser finds no frame, the language is detected
// from the text. ok is false when no frame could be read: the caller keeps
// the raw text.
func Parse(text string, hint Language) (Trace, bool) {
	if strings.TrimSpace(text) == "" {
		return Trace{}, false
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	order := []Language{hint}
	for _, l := range detect(text) {
		if l != hint {
			order = append(order, l)
		}
	}
	for _, lang := range order {
		var t Trace
		switch lang {
		case Go:
			t = parseGo(lines)
		case JavaScript, Node:
			t = parseJS(lines)
			if hint == JavaScript {
				t.Language = JavaScript
			}
		case Python:
			t = parsePython(lines)
		case DotNet:
			t = parseDotNet(lines)
		case Java:
			t = parseJava(lines)
		default:
			continue
		}
		if len(t.Frames) > 0 {
			if len(t.Frames) > MaxFrames {
				t.Frames = t.Frames[len(t.Frames)-MaxFrames:]
			}
			return t, true
		}
	}
	return Trace{}, false
}

// detect orders the parsers by the markers found in text.
func detect(text string) []Language {
	var out []Language
	if strings.Contains(text, "Traceback (most recent call last)") || strings.Contains(text, `File "`) {
		out = append(out, Python)
	}
	if strings.Contains(text, "goroutine ") || strings.Contains(text, ".go:") {
		out = append(out, Go)
	}
	if strings.Contains(text, "    at ") || strings.Contains(text, "\tat ") || strings.Contains(text, "@") {
		out = append(out, Node)
	}
	// Java indents "at" by a tab and names its files .java (or .kt, .scala).
	if strings.Contains(text, "\tat ") || strings.Contains(text, ".java:") {
		out = append(out, Java)
	}
	// .NET indents "at" by three spaces (V8 by four) and names the line.
	if strings.Contains(text, ":line ") || strings.Contains(text, "\n   at ") || strings.HasPrefix(text, "   at ") {
		out = append(out, DotNet)
	}
	return out
}

func reverse(frames []sentry.Frame) {
	for i, j := 0, len(frames)-1; i < j; i, j = i+1, j-1 {
		frames[i], frames[j] = frames[j], frames[i]
	}
}

// splitTypeValue splits "Type: value" exception lines.
func splitTypeValue(line string) (string, string) {
	line = strings.TrimSpace(line)
	if i := strings.Index(line, ": "); i > 0 && !strings.ContainsAny(line[:i], " \t") {
		return line[:i], line[i+2:]
	}
	if line != "" && !strings.ContainsAny(line, " \t") {
		return line, ""
	}
	return "", ""
}

// --- Go ---------------------------------------------------------------------

// goLocation is the indented "file:line +0xoff" line under a function line.
var goLocation = regexp.MustCompile(`^\s+(.+\.go|.+\.s|\S+):(\d+)(?: \+0x[0-9a-fA-F]+)?$`)

func parseGo(lines []string) Trace {
	// Every frame takes two lines; sizing once avoids regrowing large frames.
	t := Trace{Language: Go, Frames: make([]sentry.Frame, 0, min(len(lines)/2, MaxFrames+1))}
	for i, line := range lines {
		if strings.HasPrefix(line, "panic: ") && t.Type == "" {
			t.Type, t.Value = "panic", strings.TrimPrefix(line, "panic: ")
			continue
		}
		m := goLocation.FindStringSubmatch(line)
		if m == nil || i == 0 {
			continue
		}
		fn := strings.TrimSpace(lines[i-1])
		if fn == "" || goLocation.MatchString(lines[i-1]) || strings.HasPrefix(fn, "goroutine ") {
			continue
		}
		fn = strings.TrimPrefix(fn, "created by ")
		if j := strings.Index(fn, " in goroutine "); j > 0 {
			fn = fn[:j]
		}
		fn = stripGoArgs(fn)
		pkg, name := splitGoFunction(fn)
		t.Frames = append(t.Frames, pathFrame(Go, pkg, name, m[1], m[2], goInApp(pkg, m[1])))
	}
	reverse(t.Frames)
	return t
}

// stripGoArgs removes the trailing argument list "(0xc000, {0x1, 0x2})",
// keeping receiver parentheses like "(*Server)".
func stripGoArgs(fn string) string {
	if !strings.HasSuffix(fn, ")") {
		return fn
	}
	depth := 0
	for i := len(fn) - 1; i >= 0; i-- {
		switch fn[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				// A receiver "(*T)" directly follows a dot; arguments never do.
				if i > 0 && fn[i-1] == '.' {
					return fn
				}
				return fn[:i]
			}
		}
	}
	return fn
}

// splitGoFunction splits "github.com/a/b.(*T).M" into "github.com/a/b" and
// "(*T).M".
func splitGoFunction(fn string) (string, string) {
	slash := strings.LastIndex(fn, "/")
	dot := strings.Index(fn[slash+1:], ".")
	if dot < 0 {
		return "", fn
	}
	dot += slash + 1
	return fn[:dot], fn[dot+1:]
}

// pathFrame is a frame whose file is a path, shown by its file name.
func pathFrame(lang Language, module, function, path, line string, inApp bool) sentry.Frame {
	lineno, _ := strconv.Atoi(line)
	return sentry.Frame{
		Function: function,
		Module:   module,
		Filename: shortFile(path),
		AbsPath:  path,
		Lineno:   lineno,
		InApp:    inApp,
		Platform: string(lang),
	}
}

// shortFile is the file name of a Unix or Windows path.
func shortFile(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// goInApp: the standard library (no dot in the first path element) and
// module-cache or vendored code are not the application's.
func goInApp(pkg, file string) bool {
	if strings.Contains(file, "/pkg/mod/") || strings.Contains(file, "/vendor/") || strings.Contains(file, "/src/runtime/") {
		return false
	}
	first, _, _ := strings.Cut(pkg, "/")
	return first == "main" || strings.Contains(first, ".")
}

// --- JavaScript / Node --------------------------------------------------------

var (
	// V8: "    at fn (file:line:col)", "    at file:line:col", "    at async fn (...)".
	v8Frame = regexp.MustCompile(`^\s*at (?:(.+?) \((.+?):(\d+):(\d+)\)|(.+?):(\d+):(\d+))$`)
	// V8 frame without a location: "    at async Promise.all (index 0)".
	v8Native = regexp.MustCompile(`^\s*at (.+?) \((?:native|index \d+|<anonymous>)\)$`)
	// Firefox / Safari: "fn@file:line:col".
	geckoFrame = regexp.MustCompile(`^\s*(.*?)@(.+?):(\d+):(\d+)$`)
)

func parseJS(lines []string) Trace {
	t := Trace{Language: Node, Frames: make([]sentry.Frame, 0, min(len(lines), MaxFrames+1))}
	for i, line := range lines {
		var fn, file, ln, col string
		if m := v8Frame.FindStringSubmatch(line); m != nil {
			if m[2] != "" {
				fn, file, ln, col = m[1], m[2], m[3], m[4]
			} else {
				// "at async file:line:col": an anonymous async function.
				file, ln, col = strings.TrimPrefix(m[5], "async "), m[6], m[7]
			}
		} else if m := v8Native.FindStringSubmatch(line); m != nil {
			fn = m[1]
		} else if m := geckoFrame.FindStringSubmatch(line); m != nil && !strings.Contains(m[1], " ") {
			fn, file, ln, col = m[1], m[2], m[3], m[4]
		} else {
			if len(t.Frames) == 0 && t.Type == "" && i < 3 {
				t.Type, t.Value = splitTypeValue(line)
			}
			continue
		}
		fn = strings.TrimPrefix(fn, "async ")
		lineno, _ := strconv.Atoi(ln)
		colno, _ := strconv.Atoi(col)
		t.Frames = append(t.Frames, sentry.Frame{
			Function: fn,
			Filename: file,
			AbsPath:  file,
			Lineno:   lineno,
			Colno:    colno,
			InApp:    jsInApp(file),
			Platform: string(JavaScript),
		})
	}
	reverse(t.Frames)
	return t
}

func jsInApp(file string) bool {
	return file != "" && !strings.HasPrefix(file, "node:") && !strings.HasPrefix(file, "internal/") &&
		!strings.Contains(file, "/node_modules/") && !strings.Contains(file, `\node_modules\`)
}

// --- Python -----------------------------------------------------------------

var pyFrame = regexp.MustCompile(`^\s*File "(.+)", line (\d+)(?:, in (.+))?$`)

func parsePython(lines []string) Trace {
	t := Trace{Language: Python, Frames: make([]sentry.Frame, 0, min(len(lines)/2, MaxFrames+1))}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "Traceback (most recent call last)") {
			// Chained exceptions print several tracebacks; the last one is
			// the exception that was finally raised.
			t.Frames = t.Frames[:0]
			continue
		}
		if m := pyFrame.FindStringSubmatch(line); m != nil {
			lineno, _ := strconv.Atoi(m[2])
			f := sentry.Frame{
				Function: m[3],
				Filename: m[1],
				AbsPath:  m[1],
				Lineno:   lineno,
				InApp:    pyInApp(m[1]),
				Platform: string(Python),
			}
			if i+1 < len(lines) && isIndented(lines[i+1]) && !pyFrame.MatchString(lines[i+1]) {
				f.ContextLine = strings.TrimSpace(lines[i+1])
				i++
			}
			t.Frames = append(t.Frames, f)
			continue
		}
		if len(t.Frames) > 0 && !isIndented(line) && strings.TrimSpace(line) != "" {
			if typ, val := splitTypeValue(line); typ != "" {
				t.Type, t.Value = typ, val
			}
		}
	}
	return t
}

func isIndented(s string) bool {
	return strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\t")
}

func pyInApp(file string) bool {
	return !strings.Contains(file, "site-packages") && !strings.Contains(file, "dist-packages") &&
		!strings.Contains(file, "/lib/python") && !strings.HasPrefix(file, "<")
}

// --- .NET -------------------------------------------------------------------

// dotnetFrame is "   at Ns.Type.Method(String arg) in /src/File.cs:line 42";
// the location is missing without debug symbols.
var dotnetFrame = regexp.MustCompile(`^\s*at (\S+?)\((.*?)\)(?: in (.+):line (\d+))?\s*$`)

// dotnetLibraries are namespaces of the runtime and of common libraries,
// whose frames are not the application's.
var dotnetLibraries = []string{
	"System.", "Microsoft.", "Mono.", "Newtonsoft.", "FSharp.", "Sentry.", "OpenTelemetry.",
	"Grpc.", "Google.Protobuf.", "Polly.", "Npgsql.", "StackExchange.", "Serilog.", "NLog.",
}

func parseDotNet(lines []string) Trace {
	t := Trace{Language: DotNet, Frames: make([]sentry.Frame, 0, min(len(lines), MaxFrames+1))}
	for i, line := range lines {
		if strings.Contains(line, "--- End of inner exception stack trace ---") {
			// Exception.ToString prints the inner exceptions' frames first;
			// the frames after the last marker are the outer exception's,
			// the one exception.type names.
			t.Frames = t.Frames[:0]
			continue
		}
		m := dotnetFrame.FindStringSubmatch(line)
		if m == nil {
			if i == 0 {
				t.Type, t.Value = splitTypeValue(line)
			}
			continue
		}
		module, function := splitDotNetMethod(m[1])
		t.Frames = append(t.Frames, pathFrame(DotNet, module, function, m[3], m[4], dotnetInApp(module)))
	}
	reverse(t.Frames)
	return t
}

// splitDotNetMethod splits "Ns.Type.Method" into "Ns.Type" and "Method",
// keeping dots inside generic brackets and compiler names ("<Post>b__0")
// and the constructors' own dot ("Ns.Type..ctor").
func splitDotNetMethod(name string) (module, function string) {
	depth := 0
	for i := len(name) - 1; i >= 0; i-- {
		switch name[i] {
		case ']', '>':
			depth++
		case '[', '<':
			depth--
		case '.':
			if depth != 0 {
				continue
			}
			if i > 0 && name[i-1] == '.' {
				return name[:i-1], name[i:]
			}
			return name[:i], name[i+1:]
		}
	}
	return "", name
}

func dotnetInApp(module string) bool {
	if module == "System" || module == "" {
		return false
	}
	for _, p := range dotnetLibraries {
		if strings.HasPrefix(module, p) {
			return false
		}
	}
	return true
}

// --- Java -------------------------------------------------------------------

// javaFrame is "\tat com.acme.Charger.charge(Charger.java:42)", with an
// optional module or class loader prefix ("java.base/", "app//") and a
// location that may be "Native Method", "Unknown Source" or a file alone.
var javaFrame = regexp.MustCompile(`^\s*at (?:\S*/)?([^\s/(]+)\.([^\s./(]+)\(([^)]*)\)\s*$`)

// javaLibraries are packages of the JDK and of common libraries, whose
// frames are not the application's.
var javaLibraries = []string{
	"java.", "javax.", "jakarta.", "jdk.", "sun.", "com.sun.", "kotlin.", "kotlinx.", "scala.",
	"org.springframework.", "org.apache.", "org.hibernate.", "io.netty.", "reactor.",
	"com.fasterxml.", "io.opentelemetry.", "io.micrometer.", "okhttp3.", "com.zaxxer.",
}

func parseJava(lines []string) Trace {
	t := Trace{Language: Java, Frames: make([]sentry.Frame, 0, min(len(lines), MaxFrames+1))}
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "Caused by: ") || strings.HasPrefix(trimmed, "Suppressed: ") {
			// The causes and suppressed exceptions follow the frames of the
			// exception that was thrown, the one exception.type names.
			break
		}
		m := javaFrame.FindStringSubmatch(line)
		if m == nil {
			if i == 0 {
				t.Type, t.Value = splitTypeValue(line)
			}
			continue
		}
		file, lineno := m[3], ""
		if j := strings.LastIndexByte(file, ':'); j >= 0 {
			file, lineno = file[:j], file[j+1:]
		}
		if file == "Native Method" || file == "Unknown Source" || strings.HasPrefix(file, "<") {
			file = ""
		}
		t.Frames = append(t.Frames, pathFrame(Java, m[1], m[2], file, lineno, javaInApp(m[1])))
	}
	reverse(t.Frames)
	return t
}

func javaInApp(class string) bool {
	for _, p := range javaLibraries {
		if strings.HasPrefix(class, p) {
			return false
		}
	}
	return !strings.Contains(class, "$$") // generated proxies (CGLIB, ByteBuddy)
}
