package stack

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

type wantFrame struct {
	function, module, file string
	line, col              int
	inApp                  bool
}

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		hint      Language
		lang      Language
		typ, val  string
		wantFirst wantFrame // oldest frame
		wantLast  wantFrame // crashing frame
		frames    int
	}{
		{
			name: "go panic", file: "go_panic.txt", hint: Go, lang: Go,
			typ: "panic", val: "runtime error: invalid memory address or nil pointer dereference [recovered]",
			frames:    5,
			wantFirst: wantFrame{function: "(*Server).Serve", module: "net/http", file: "/usr/local/go/src/net/http/server.go", line: 3285},
			wantLast:  wantFrame{function: "(*Charger).Charge", module: "github.com/acme/checkout/payment", file: "/src/checkout/payment/charge.go", line: 87, inApp: true},
		},
		{
			name: "go detected without hint", file: "go_panic.txt", hint: Unknown, lang: Go, frames: 5,
			typ: "panic", val: "runtime error: invalid memory address or nil pointer dereference [recovered]",
			wantFirst: wantFrame{function: "(*Server).Serve", module: "net/http", file: "/usr/local/go/src/net/http/server.go", line: 3285},
			wantLast:  wantFrame{function: "(*Charger).Charge", module: "github.com/acme/checkout/payment", file: "/src/checkout/payment/charge.go", line: 87, inApp: true},
		},
		{
			name: "node", file: "node_typeerror.txt", hint: Node, lang: Node, frames: 6,
			typ: "TypeError", val: "Cannot read properties of undefined (reading 'last4')",
			wantFirst: wantFrame{file: "/app/src/index.js", line: 10, col: 3, inApp: true},
			wantLast:  wantFrame{function: "PaymentService.charge", file: "/app/src/services/payment.js", line: 42, col: 15, inApp: true},
		},
		{
			name: "node detected with a wrong hint", file: "node_typeerror.txt", hint: Python, lang: Node, frames: 6,
			typ: "TypeError", val: "Cannot read properties of undefined (reading 'last4')",
			wantFirst: wantFrame{file: "/app/src/index.js", line: 10, col: 3, inApp: true},
			wantLast:  wantFrame{function: "PaymentService.charge", file: "/app/src/services/payment.js", line: 42, col: 15, inApp: true},
		},
		{
			name: "dotnet", file: "dotnet_invalidoperation.txt", hint: DotNet, lang: DotNet, frames: 5,
			typ: "System.InvalidOperationException", val: "Charge failed for order ord_8812",
			wantFirst: wantFrame{function: "<Invoke>g__AwaitRequestTask|7_0", module: "Microsoft.AspNetCore.Routing.EndpointMiddleware"},
			wantLast:  wantFrame{function: "ChargeAsync", module: "Acme.Payments.Charger", file: "/src/Acme.Payments/Charger.cs", line: 42, inApp: true},
		},
		{
			name: "dotnet detected without hint", file: "dotnet_invalidoperation.txt", hint: Unknown, lang: DotNet, frames: 5,
			typ: "System.InvalidOperationException", val: "Charge failed for order ord_8812",
			wantFirst: wantFrame{function: "<Invoke>g__AwaitRequestTask|7_0", module: "Microsoft.AspNetCore.Routing.EndpointMiddleware"},
			wantLast:  wantFrame{function: "ChargeAsync", module: "Acme.Payments.Charger", file: "/src/Acme.Payments/Charger.cs", line: 42, inApp: true},
		},
		{
			name: "java", file: "java_illegalstate.txt", hint: Java, lang: Java, frames: 6,
			typ: "java.lang.IllegalStateException", val: "Charge failed for order ord_8812",
			wantFirst: wantFrame{function: "run", module: "java.lang.Thread", file: "Thread.java", line: 1583},
			wantLast:  wantFrame{function: "charge", module: "com.acme.payments.Charger", file: "Charger.java", line: 42, inApp: true},
		},
		{
			name: "java detected without hint", file: "java_illegalstate.txt", hint: Unknown, lang: Java, frames: 6,
			typ: "java.lang.IllegalStateException", val: "Charge failed for order ord_8812",
			wantFirst: wantFrame{function: "run", module: "java.lang.Thread", file: "Thread.java", line: 1583},
			wantLast:  wantFrame{function: "charge", module: "com.acme.payments.Charger", file: "Charger.java", line: 42, inApp: true},
		},
		{
			name: "python", file: "python_carderror.txt", hint: Python, lang: Python, frames: 3,
			typ: "stripe._error.CardError", val: "Your card was declined.",
			wantFirst: wantFrame{function: "checkout", file: "/app/payments/views.py", line: 31, inApp: true},
			wantLast:  wantFrame{function: "confirm", file: "/usr/local/lib/python3.12/site-packages/stripe/_payment_intent.py", line: 1203},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, ok := Parse(readSample(t, tt.file), tt.hint)
			require.True(t, ok)
			assert.Equal(t, tt.lang, tr.Language)
			assert.Equal(t, tt.typ, tr.Type)
			assert.Equal(t, tt.val, tr.Value)
			require.Len(t, tr.Frames, tt.frames)
			for _, c := range []struct {
				want wantFrame
				idx  int
			}{{tt.wantFirst, 0}, {tt.wantLast, len(tr.Frames) - 1}} {
				f := tr.Frames[c.idx]
				assert.Equal(t, c.want.function, f.Function, "function of frame %d", c.idx)
				assert.Equal(t, c.want.module, f.Module, "module of frame %d", c.idx)
				assert.Equal(t, c.want.file, f.AbsPath, "file of frame %d", c.idx)
				assert.Equal(t, c.want.line, f.Lineno, "line of frame %d", c.idx)
				assert.Equal(t, c.want.col, f.Colno, "column of frame %d", c.idx)
				assert.Equal(t, c.want.inApp, f.InApp, "in_app of frame %d", c.idx)
			}
		})
	}
}

func TestParseDetails(t *testing.T) {
	tr, ok := Parse(readSample(t, "python_carderror.txt"), Unknown)
	require.True(t, ok)
	assert.Equal(t, "return stripe.PaymentIntent.confirm(intent_id)", tr.Frames[1].ContextLine)

	tr, ok = Parse(readSample(t, "node_typeerror.txt"), Unknown)
	require.True(t, ok)
	// "at async Promise.all (index 0)" has no location but is a frame.
	assert.Equal(t, "Promise.all", tr.Frames[len(tr.Frames)-2].Function)
	assert.False(t, tr.Frames[1].InApp, "node: internals are not in app")
	assert.False(t, tr.Frames[2].InApp, "node_modules are not in app")

	tr, ok = Parse(readSample(t, "go_panic.txt"), Go)
	require.True(t, ok)
	assert.Equal(t, "(*Mux).routeHTTP", tr.Frames[1].Function)
	assert.False(t, tr.Frames[1].InApp, "module cache is not in app")
	assert.Equal(t, "HandlerFunc.ServeHTTP", tr.Frames[2].Function)
	assert.Equal(t, "net/http", tr.Frames[2].Module)
}

// .NET's Exception.ToString (what the .NET SDK records as
// exception.stacktrace) was kept raw: no frames in Sentry. The outer
// exception's frames follow its inner exceptions' ones.
func TestParseDotNetDetails(t *testing.T) {
	tr, ok := Parse(readSample(t, "dotnet_invalidoperation.txt"), DotNet)
	require.True(t, ok)
	require.Len(t, tr.Frames, 5)
	lambda, place := tr.Frames[2], tr.Frames[3]
	assert.Equal(t, "Acme.Checkout.Api.CheckoutEndpoints.<>c__DisplayClass2_0", lambda.Module)
	assert.Equal(t, "<MapCheckout>b__0", lambda.Function)
	assert.Equal(t, "CheckoutEndpoints.cs", lambda.Filename)
	assert.Equal(t, "PlaceOrderAsync", place.Function)
	assert.Equal(t, `C:\build\src\Acme.Payments\CheckoutService.cs`, place.AbsPath)
	assert.Equal(t, "CheckoutService.cs", place.Filename, "Windows path")
	assert.Equal(t, 17, place.Lineno)
	assert.Equal(t, "ExecuteTaskResult[T]", tr.Frames[1].Function)
	assert.False(t, tr.Frames[1].InApp, "Microsoft.* is not in app")
	for _, f := range tr.Frames {
		assert.Equal(t, "csharp", f.Platform)
		assert.NotContains(t, f.Module, "System.Net", "inner exceptions' frames are not the outer one's")
	}

	for name, want := range map[string][2]string{
		"Acme.Payments.Charger..ctor":  {"Acme.Payments.Charger", ".ctor"},
		"Acme.Payments.Charger..cctor": {"Acme.Payments.Charger", ".cctor"},
		"Acme.Repo`1.Get[T]":           {"Acme.Repo`1", "Get[T]"},
		"Main":                         {"", "Main"},
	} {
		module, function := splitDotNetMethod(name)
		assert.Equal(t, want, [2]string{module, function}, name)
	}

	// No debug symbols: frames without a location still parse.
	tr, ok = Parse("System.TimeoutException: The operation has timed out.\n   at Acme.Gateway.Call()\n   at Acme.Program.Main(String[] args)", Unknown)
	require.True(t, ok)
	assert.Equal(t, DotNet, tr.Language)
	assert.Equal(t, "Main", tr.Frames[0].Function)
	assert.Equal(t, "System.TimeoutException", tr.Type)
}

// Java's printStackTrace (what the Java agent records) was kept raw. The
// frames of the thrown exception come before its causes'.
func TestParseJavaDetails(t *testing.T) {
	tr, ok := Parse(readSample(t, "java_illegalstate.txt"), Java)
	require.True(t, ok)
	require.Len(t, tr.Frames, 6)
	lambda, proxy := tr.Frames[1], tr.Frames[4]
	assert.Equal(t, "lambda$submit$0", lambda.Function)
	assert.Equal(t, "com.acme.payments.CheckoutController", lambda.Module)
	assert.True(t, lambda.InApp)
	assert.Equal(t, "com.acme.payments.Charger$$SpringCGLIB$$0", proxy.Module)
	assert.Empty(t, proxy.Filename, "<generated> is no file")
	assert.False(t, proxy.InApp, "generated proxies are not in app")
	assert.Equal(t, "jdk.internal.reflect.DirectMethodHandleAccessor", tr.Frames[3].Module, "module prefix java.base/ dropped")
	for _, f := range tr.Frames {
		assert.Equal(t, "java", f.Platform)
		assert.NotEqual(t, "StripeClient.java", f.Filename, "the cause's frames are not the thrown exception's")
	}
}

// Node's "at async file:line:col" (an anonymous async function) put
// "async " in the file name; node_modules on Windows counted as app code.
func TestParseNodeAsyncAnonymousAndWindowsPaths(t *testing.T) {
	tr, ok := Parse(strings.Join([]string{
		"Error: boom",
		`    at Layer.handle (C:\app\node_modules\express\lib\router\layer.js:95:5)`,
		"    at async /app/src/worker.js:3:7",
		`    at charge (C:\app\src\charge.js:10:5)`,
	}, "\n"), Node)
	require.True(t, ok)
	require.Len(t, tr.Frames, 3)
	assert.True(t, tr.Frames[0].InApp)
	assert.Equal(t, "/app/src/worker.js", tr.Frames[1].AbsPath)
	assert.Equal(t, 3, tr.Frames[1].Lineno)
	assert.True(t, tr.Frames[1].InApp)
	assert.False(t, tr.Frames[2].InApp, `\node_modules\ is not in app`)
}

func TestParseChainedPythonKeepsLastTraceback(t *testing.T) {
	text := strings.Join([]string{
		"Traceback (most recent call last):",
		`  File "/app/a.py", line 1, in first`,
		"KeyError: 'x'",
		"",
		"During handling of the above exception, another exception occurred:",
		"",
		"Traceback (most recent call last):",
		`  File "/app/b.py", line 2, in second`,
		`  File "/app/c.py", line 3, in third`,
		"ValueError: bad amount",
	}, "\n")
	tr, ok := Parse(text, Python)
	require.True(t, ok)
	require.Len(t, tr.Frames, 2)
	assert.Equal(t, "second", tr.Frames[0].Function)
	assert.Equal(t, "ValueError", tr.Type)
	assert.Equal(t, "bad amount", tr.Value)
}

func TestParseUnparseable(t *testing.T) {
	for _, text := range []string{readSample(t, "unparseable.txt"), "", "   \n", "at nothing useful"} {
		_, ok := Parse(text, Unknown)
		assert.False(t, ok, "%q", text)
		_, ok = Parse(text, Go)
		assert.False(t, ok, "%q", text)
	}
}

func TestParseBoundsFrames(t *testing.T) {
	var b strings.Builder
	b.WriteString("Error: deep\n")
	for i := 0; i < MaxFrames+50; i++ {
		b.WriteString("    at f (/app/x.js:" + strconv.Itoa(i+1) + ":1)\n")
	}
	tr, ok := Parse(b.String(), Node)
	require.True(t, ok)
	require.Len(t, tr.Frames, MaxFrames)
	// The innermost frame (first printed, line 1) is kept, last after reversal.
	assert.Equal(t, 1, tr.Frames[len(tr.Frames)-1].Lineno)
}

func TestLanguageFromSDK(t *testing.T) {
	assert.Equal(t, Go, LanguageFromSDK("go"))
	assert.Equal(t, Node, LanguageFromSDK("nodejs"))
	assert.Equal(t, JavaScript, LanguageFromSDK("webjs"))
	assert.Equal(t, Python, LanguageFromSDK("python"))
	assert.Equal(t, DotNet, LanguageFromSDK("dotnet"))
	assert.Equal(t, Java, LanguageFromSDK("java"))
	assert.Equal(t, Unknown, LanguageFromSDK("erlang"))
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"go_panic.txt", "node_typeerror.txt", "python_carderror.txt", "dotnet_invalidoperation.txt", "java_illegalstate.txt", "unparseable.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		tr, ok := Parse(text, Unknown)
		if ok && (len(tr.Frames) == 0 || len(tr.Frames) > MaxFrames) {
			t.Fatalf("ok with %d frames", len(tr.Frames))
		}
	})
}
