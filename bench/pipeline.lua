-- wrk script: writes DEPTH requests per write (HTTP/1.1 pipelining), 16 by default.
local depth = tonumber(os.getenv("PIPELINE_DEPTH") or "16")

init = function(args)
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format()
  end
  batch = table.concat(requests)
end

request = function()
  return batch
end
