-- Starting `autonomous lsp` and talking to it, on every Neovim from 0.7.2
-- (Debian 12) to 0.11+, chosen by feature detection:
--   0.7     vim.lsp.start_client + vim.lsp.buf_attach_client, client.request(...)
--   0.8+    vim.lsp.start (which reuses a running client of the same root)
--   0.11+   client:request(...) (the dot form is deprecated there)
local M = {}

local function has(feature)
  return vim.fn.has(feature) == 1
end

--- The git root above path (a .git folder, or the .git file of a worktree), else path.
function M.find_root(path)
  local candidates = {}
  local dir = vim.fn.finddir('.git', path .. ';')
  if dir ~= '' then
    table.insert(candidates, vim.fn.fnamemodify(dir, ':p:h:h')) -- "/repo/.git/" -> "/repo"
  end
  local file = vim.fn.findfile('.git', path .. ';')
  if file ~= '' then
    table.insert(candidates, vim.fn.fnamemodify(file, ':p:h'))
  end
  -- The nearer one is the longer path.
  table.sort(candidates, function(a, b)
    return #a > #b
  end)
  return candidates[1] or path
end

-- A buffer worth attaching: a real file (the server offers code lenses on
-- the ledger and workflow files; attaching scratch buffers serves nothing).
local function attachable(buf)
  return vim.bo[buf].buftype == '' and vim.api.nvim_buf_get_name(buf) ~= ''
end

--- Starts the server (or finds the running one) and returns its client id,
--- or nil and an error message.
function M.start(cfg, handlers, on_init, on_exit)
  local exe = cfg.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    return nil, string.format(
      '%s is not executable: install autonomous and put it on PATH, or pass its path: require("autonomous").setup({ cmd = { "/path/to/autonomous", "lsp" } })',
      exe
    )
  end
  local root = cfg.root_dir or M.find_root(vim.fn.getcwd())
  local conf = {
    name = 'autonomous',
    cmd = cfg.cmd,
    cmd_env = cfg.cmd_env,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    handlers = handlers,
    on_init = on_init,
    on_exit = on_exit,
    capabilities = vim.lsp.protocol.make_client_capabilities(),
  }
  local buf = vim.api.nvim_get_current_buf()
  local id
  if has('nvim-0.8') then
    id = vim.lsp.start(conf, {
      bufnr = buf,
      reuse_client = function(client, c)
        return client.name == c.name and client.config.root_dir == c.root_dir
      end,
    })
  else
    id = vim.lsp.start_client(conf)
    if id and attachable(buf) then
      vim.lsp.buf_attach_client(buf, id)
    end
  end
  if not id then
    return nil, 'the server did not start (see :LspLog)'
  end
  return id, nil, root
end

--- Attaches a buffer to the client (on 0.8+ vim.lsp.start does it for the current one).
function M.attach(buf, id)
  if id and attachable(buf) and not vim.lsp.buf_is_attached(buf, id) then
    vim.lsp.buf_attach_client(buf, id)
  end
end

--- Sends a request; cb(err, result) runs on the main loop.
function M.request(client, method, params, cb)
  local handler = function(err, result)
    cb(err, result)
  end
  local ok
  if has('nvim-0.11') then
    ok = client:request(method, params, handler)
  else
    ok = client.request(method, params, handler)
  end
  if not ok then
    cb({ message = 'the server has shut down' }, nil)
  end
end

--- workspace/executeCommand with one argument object (an empty one when args is nil).
function M.exec(client, command, args, cb)
  local arg = args
  if arg == nil or next(arg) == nil then
    arg = vim.empty_dict()
  end
  M.request(client, 'workspace/executeCommand', { command = command, arguments = { arg } }, cb)
end

--- Stops the client: the server then leaves every running workflow paused and resumable.
function M.stop(id)
  local client = vim.lsp.get_client_by_id(id)
  if client then
    if has('nvim-0.11') then
      client:stop()
    else
      client.stop()
    end
  end
end

return M
