package s3test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// amzDateFormat is the format of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// maxSkew is how far a request's time may be from the server's, as S3
// allows.
const maxSkew = 15 * time.Minute

// unsignedPayload is the X-Amz-Content-Sha256 of a request whose body is
// not part of the signature.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// authorization is a parsed AWS4-HMAC-SHA256 Authorization header.
type authorization struct {
	accessKeyID   string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	terminator    string
	signedHeaders []string
	signature     string
}

func parseAuthorization(header string) (authorization, *s3Error) {
	alg, rest, _ := strings.Cut(header, " ")
	if alg != "AWS4-HMAC-SHA256" {
		return authorization{}, errUnsupportedAuth()
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return authorization{}, errMalformedAuth("the authorization header is malformed; " + strconv.Quote(part) + " is not key=value")
		}
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 5 || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return authorization{}, errMalformedAuth("The authorization header is malformed; it needs Credential=<key>/<date>/<region>/s3/aws4_request, SignedHeaders and Signature.")
	}
	return authorization{
		accessKeyID: cred[0], date: cred[1], region: cred[2], service: cred[3], terminator: cred[4],
		signedHeaders: strings.Split(fields["SignedHeaders"], ";"),
		signature:     fields["Signature"],
	}, nil
}

// authenticate checks the request's AWS Signature Version 4 (header-based)
// against the server's key, as S3 does, and returns the payload hash the
// body must have ("" when it is unsigned).
func (s *Server) authenticate(r *http.Request) (payloadHash string, _ *s3Error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		if r.URL.Query().Has("X-Amz-Signature") {
			return "", errNotImplemented("presigned URLs")
		}
		return "", errAccessDenied("Access Denied")
	}
	auth, e := parseAuthorization(header)
	if e != nil {
		return "", e
	}
	if auth.accessKeyID != s.opts.AccessKeyID {
		return "", &s3Error{Status: http.StatusForbidden, Code: "InvalidAccessKeyId",
			Message: "The AWS Access Key Id you provided does not exist in our records.", AWSAccessKeyID: auth.accessKeyID}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	at, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return "", errAccessDenied("AWS authentication requires a valid Date or x-amz-date header")
	}
	switch {
	case auth.date != amzDate[:8]:
		return "", errMalformedAuth("The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
	case auth.region != s.opts.Region:
		e := errMalformedAuth("The authorization header is malformed; the region '" + auth.region + "' is wrong; expecting '" + s.opts.Region + "'")
		e.Region = s.opts.Region
		return "", e
	case auth.service != "s3" || auth.terminator != "aws4_request":
		return "", errMalformedAuth("The authorization header is malformed; the credential scope must end in s3/aws4_request.")
	}
	if skew := s.opts.Now().Sub(at); skew > maxSkew || skew < -maxSkew {
		return "", &s3Error{Status: http.StatusForbidden, Code: "RequestTimeTooSkewed",
			Message: "The difference between the request time and the current time is too large."}
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case payload == "":
		return "", errInvalidRequest("Missing required header for this request: x-amz-content-sha256")
	case strings.HasPrefix(payload, "STREAMING-"):
		return "", errNotImplemented("chunked uploads (" + payload + ")")
	case payload != unsignedPayload && !isSHA256Hex(payload):
		return "", &s3Error{Status: http.StatusBadRequest, Code: "InvalidArgument",
			Message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value."}
	}
	if !slices.Contains(auth.signedHeaders, "host") {
		return "", errAccessDenied("The host header must be signed.")
	}
	for name := range r.Header {
		if lower := strings.ToLower(name); strings.HasPrefix(lower, "x-amz-") && !slices.Contains(auth.signedHeaders, lower) {
			return "", errAccessDenied("There were headers present in the request which were not signed: " + lower)
		}
	}
	canonical := canonicalRequest(r, auth.signedHeaders, payload)
	scope := auth.date + "/" + auth.region + "/s3/aws4_request"
	stringToSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(canonical))
	want := hex.EncodeToString(hmacSHA256(signingKey(s.opts.SecretAccessKey, auth.date, auth.region), stringToSign))
	if !hmac.Equal([]byte(want), []byte(auth.signature)) {
		return "", &s3Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch",
			Message:        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
			AWSAccessKeyID: auth.accessKeyID, StringToSign: stringToSign, SignatureProvided: auth.signature, CanonicalRequest: canonical}
	}
	if payload == unsignedPayload {
		return "", nil
	}
	return payload, nil
}

// canonicalRequest is the request as Signature Version 4 signs it.
func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	path, err := url.PathUnescape(rawPath)
	if err != nil || path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(uriEncode(path, false) + "\n")
	b.WriteString(canonicalQuery(r.URL.RawQuery) + "\n")
	for _, name := range signedHeaders {
		b.WriteString(name + ":" + headerValue(r, name) + "\n")
	}
	b.WriteString("\n" + strings.Join(signedHeaders, ";") + "\n" + payloadHash)
	return b.String()
}

// headerValue is a signed header's canonical value: its values, trimmed,
// runs of spaces made one, joined by commas.
func headerValue(r *http.Request, name string) string {
	if name == "host" {
		return r.Host
	}
	values := r.Header.Values(name)
	if name == "content-length" && len(values) == 0 {
		values = []string{strconv.FormatInt(r.ContentLength, 10)}
	}
	for i, v := range values {
		values[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(values, ",")
}

// canonicalQuery is the query's parameters, each name and value encoded,
// sorted by name and then value.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var params []string
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		params = append(params, uriEncode(k, true)+"="+uriEncode(v, true))
	}
	slices.Sort(params)
	return strings.Join(params, "&")
}

// uriEncode percent-encodes every byte but the unreserved characters (and
// '/', unless encodeSlash), as Signature Version 4 does.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func signingKey(secret, date, region string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, "s3")
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func hexSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
