-- wrk script: POST /v1/embeddings, one text per request, a different text each time.
-- TEXT_KIND=short: "a photo of a cat dog." (about 8 tokens, the zero-shot / search-query shape);
-- TEXT_KIND=caption: "a photo of a cat and a dog on the beach, number 123" (about 16 tokens).
local words = {"cat", "dog", "car", "tree", "beach", "city", "star", "heart", "mountain", "boat",
               "flower", "bird", "road", "house", "river", "cloud"}
local kind = os.getenv("TEXT_KIND") or "short"
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local a, b = words[counter % #words + 1], words[math.floor(counter / #words) % #words + 1]
  local text
  if kind == "caption" then
    text = string.format("a photo of a %s and a %s on the %s, number %d", a, b, words[math.floor(counter / 256) % #words + 1], counter)
  else
    text = string.format("a photo of a %s %s.", a, b)
  end
  return wrk.format(nil, "/v1/embeddings", nil, '{"input": "' .. text .. '"}')
end
response = function(status, headers, body)
  if status ~= 200 then io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n") end
end
