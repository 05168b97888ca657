-- wrk script: POST a small JSON document.
wrk.method = "POST"
wrk.body = '{"user":"ada","tags":["a","b","c"],"count":42,"nested":{"ok":true,"ratio":0.5}}'
wrk.headers["Content-Type"] = "application/json"
