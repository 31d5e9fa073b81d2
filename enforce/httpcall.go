package enforce

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// maxAnswer is the most of a device's answer read, in bytes.
const maxAnswer = 1 << 20

// CallHTTP sends req with c and returns the body of a 2xx answer and a
// short answer for the audit trail ("HTTP 200"). Any other status becomes
// a *DeviceError carrying the status and the start of the body; 4xx
// answers other than 408 and 429 are permanent, since sending the same
// request again cannot help. Transport errors are returned without the
// request URL, which may hold a key in its query. For adapters.
func CallHTTP(c *http.Client, req *http.Request) ([]byte, string, error) {
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, "", fmt.Errorf("%s %s: %w", req.Method, req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Host, err)
	}
	answer := "HTTP " + resp.Status
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return body, answer, nil
	}
	snippet := strings.Join(strings.Fields(string(body)), " ")
	if len(snippet) > 200 {
		snippet = snippet[:200] + "..."
	}
	permanent := resp.StatusCode >= 400 && resp.StatusCode < 500 &&
		resp.StatusCode != http.StatusRequestTimeout &&
		resp.StatusCode != http.StatusTooManyRequests
	if snippet != "" {
		answer += ": " + snippet
	}
	return body, answer, &DeviceError{Answer: answer, Permanent: permanent}
}

// ReadSecret returns a secret from the environment variable env or, if env
// is empty, from the first line of file. It fails when neither is given
// or the secret is empty. Error messages name the source, never the value.
func ReadSecret(env, file string) (string, error) {
	switch {
	case env != "":
		v := os.Getenv(env)
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		v, _, _ := strings.Cut(string(b), "\n")
		if v = strings.TrimSpace(v); v == "" {
			return "", fmt.Errorf("secret file %s is empty", file)
		}
		return v, nil
	}
	return "", errors.New("no secret: set the _env or the _file key")
}
