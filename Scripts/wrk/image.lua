-- wrk script: POST /v1/embeddings with one image, the body read from the file $IMAGE_BODY
-- (a JSON request {"input": [{"type": "image", "image": "<base64>"}]}, made by bench_serve.sh).
local f = assert(io.open(os.getenv("IMAGE_BODY"), "rb"))
wrk.body = f:read("*all")
f:close()
wrk.method = "POST"
wrk.path = "/v1/embeddings"
wrk.headers["Content-Type"] = "application/json"
response = function(status, headers, body)
  if status ~= 200 then io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n") end
end
