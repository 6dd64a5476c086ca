// Package notify alerts a business when a customer asks to talk to a human:
// by email over SMTP ([Mailer]) and by SMS through Vonage ([SMSSender]).
//
// # Composing
//
// [EmailSubject], [EmailBody] and [SMSText] turn an [Alert] into the text
// that is sent. They never fail: missing fields get sensible fallbacks (an
// unnamed customer is named by channel and ID, for example).
//
// # Error classification
//
// Every error returned by [Mailer.Send] and [SMSSender.Send] is either
// permanent or temporary; [IsPermanent] tells which. Callers (for example a
// workflow activity with a retry policy) should retry temporary errors with
// backoff and must not retry permanent ones: a permanent error means the
// same request would fail the same way until someone changes the
// configuration or the recipient, so it should be logged and shown to staff.
//
// Permanent ([IsPermanent] is true; the error is a [*PermanentError]):
//   - invalid input to Send: a malformed recipient address or phone number,
//     an empty SMS text, a malformed Message-ID;
//   - SMTP: any 5xx reply, at any step: greeting, EHLO, STARTTLS, AUTH
//     (535 wrong username or password), MAIL FROM (sender rejected),
//     RCPT TO (550/553 recipient rejected), DATA or the end of data
//     (554 transaction failed);
//   - SMTP: the server does not offer STARTTLS although Security is
//     "starttls" (the message is never sent in plain text), or does not
//     offer AUTH PLAIN/LOGIN although credentials are configured;
//   - Vonage: any status other than 0, 1, 5 and 10, for example 2 (missing
//     parameters), 3 (invalid parameters), 4 (invalid credentials),
//     6 (invalid message), 7 (number barred), 9 (partner quota exceeded),
//     15 (invalid sender address), 29 (non-whitelisted destination) or
//     33 (number de-activated);
//   - Vonage: an HTTP 3xx or 4xx answer other than 429.
//
// Temporary ([IsPermanent] is false):
//   - SMTP: DNS and connection failures, timeouts, TLS handshake and
//     certificate errors, a connection dropped by the server, any 4xx reply
//     (for example 421, 450, 451 and 454);
//   - Vonage: status 1 (throttled), 5 (internal error) and 10 (too many
//     concurrent binds); HTTP 429 and 5xx; network errors and timeouts; an
//     answer that cannot be read;
//   - the caller's context being cancelled or reaching its deadline (the
//     error then also matches [context.Canceled] or
//     [context.DeadlineExceeded] with [errors.Is]).
//
// Error messages say which step failed and quote the server's reply, for
// example:
//
//	SMTP server smtp.example.com:587 rejected recipient "x@y": 550 5.1.1 no such user
//	Vonage refused the SMS to +359888123456: status 29 (Non-Whitelisted Destination)
//
// # Delivery is final
//
// Once an SMTP server has accepted the message data (250 after the final
// "."), [Mailer.Send] returns nil even if closing the session afterwards
// fails: the message was delivered and must not be sent again. When the
// outcome is unknown (the connection broke while waiting for that reply) the
// error is temporary, so a retry may deliver a second copy; the
// [Email.MessageID] header lets mail clients and people recognise it.
// Likewise a Vonage status 0 is success even when Vonage split the text into
// several parts.
package notify
