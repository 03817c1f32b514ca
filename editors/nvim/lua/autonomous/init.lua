-- autonomous.nvim: a thin client of `autonomous lsp`. All the logic of
-- workflows lives in the server; the plugin maps :Autonomous subcommands to
-- its commands and shows what it sends:
--
--   commands.lua  the subcommands, their completion, and the server command each runs
--   client.lua    starting the server on Neovim 0.7 to 0.11+, requests
--   store.lua     workflows from workflow.list and autonomous/state|progress|session
--   log.lua       one bounded scratch buffer per workflow, fed by autonomous/log
--   pickers.lua   vim.ui.select / vim.ui.input prompts
--
-- Diagnostics (schema discrepancies, ledger problems) and $/progress are
-- standard LSP: Neovim's own handlers show them.
local client = require('autonomous.client')
local commands = require('autonomous.commands')
local Logs = require('autonomous.log')
local Store = require('autonomous.store')

local M = {}

local defaults = {
  -- The server command.
  cmd = { 'autonomous', 'lsp' },
  -- Extra environment for the server (and so for the agent sessions it runs).
  cmd_env = nil,
  -- The project: default, the git root above the current directory.
  root_dir = nil,
  -- Start the server at startup when the project already has workflows
  -- (.autonomous/workflows); otherwise it starts on the first :Autonomous.
  autostart = true,
  -- Lines kept in each workflow's log buffer.
  log_max_lines = 5000,
  -- vim.notify on state changes.
  notify_state = true,
}

local Session = {}
Session.__index = Session

function Session.new(cfg)
  local s = setmetatable({ cfg = cfg, id = nil, client = nil, queue = {} }, Session)
  s.store = Store.new(function(msg, level)
    if cfg.notify_state then
      vim.notify(msg, level)
    end
  end)
  s.logs = Logs.new({
    max_lines = cfg.log_max_lines,
    tail = function(id, cb)
      s:ensure(function(c)
        client.exec(c, 'autonomous.log.tail', { id = id }, function(err, result)
          -- The server answers {workflowId, entries}.
          cb(result and result.entries, err and err.message)
        end)
      end)
    end,
  })
  return s
end

function Session:notify(msg, level)
  vim.notify(msg, level)
end

local function changed()
  pcall(vim.cmd, 'redrawstatus')
  pcall(vim.cmd, 'silent doautocmd <nomodeline> User AutonomousUpdate')
end

function Session:handlers()
  return {
    ['autonomous/state'] = function(_, p)
      local known = self.store:get(p.workflowId) ~= nil
      self.store:on_state(p)
      if p.status == 'deleted' then
        self.logs:close(p.workflowId)
      elseif not known then
        self:refresh() -- made elsewhere: fetch its full row
      end
      changed()
    end,
    ['autonomous/progress'] = function(_, p)
      self.store:on_progress(p)
      changed()
    end,
    ['autonomous/log'] = function(_, p)
      self.logs:on_log(p)
    end,
    ['autonomous/session'] = function(_, p)
      self.store:on_session(p)
      changed()
    end,
    -- Through vim.notify, so that notification plugins show it.
    ['window/showMessage'] = function(_, p)
      local levels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG }
      vim.notify(p.message, levels[p.type] or vim.log.levels.INFO)
    end,
  }
end

--- Runs fn(lsp_client) once the server is up, starting it if needed.
function Session:ensure(fn)
  if self.client then
    return fn(self.client)
  end
  table.insert(self.queue, fn)
  if self.id then
    return -- starting: on_init runs the queue
  end
  local id, err = client.start(self.cfg, self:handlers(), function(c)
    -- Neovim 0.7 calls on_init before it lists the client as active:
    -- work that looks the client up waits for the next loop iteration.
    vim.schedule(function()
      if self.id ~= c.id then
        return -- an older client, replaced since
      end
      self.client = c
      local queued = self.queue
      self.queue = {}
      self:refresh() -- the first list fills the statusline and the completion
      for _, f in ipairs(queued) do
        f(c)
      end
    end)
  end, function(code, _, client_id)
    if client_id ~= nil and client_id ~= self.id then
      return
    end
    self.id, self.client, self.queue = nil, nil, {}
    if code ~= 0 then
      vim.schedule(function()
        vim.notify(string.format('Autonomous: the server exited with code %d (see :LspLog)', code), vim.log.levels.WARN)
      end)
    end
  end)
  if not id then
    self.queue = {}
    vim.notify('Autonomous: ' .. err, vim.log.levels.ERROR)
    return
  end
  self.id = id
end

--- Sends a server command; on success cb(result), on failure an error
--- notification naming the subcommand.
function Session:exec(what, command, args, cb)
  self:ensure(function(c)
    client.exec(c, command, args, function(err, result)
      if err then
        vim.notify(string.format('Autonomous %s: %s', what, err.message or vim.inspect(err)), vim.log.levels.ERROR)
        return
      end
      if cb then
        cb(result)
      end
    end)
  end)
end

--- Reloads the workflow list; then cb().
function Session:refresh(cb)
  self:exec('list', 'autonomous.workflow.list', nil, function(rows)
    self.store:replace(rows)
    changed()
    if cb then
      cb()
    end
  end)
end

local session

--- Sets the plugin up. opts: see :help autonomous-setup.
function M.setup(opts)
  local cfg = vim.tbl_deep_extend('force', defaults, opts or {})
  if session and session.id then
    client.stop(session.id)
  end
  session = Session.new(cfg)
  if cfg.autostart then
    local root = cfg.root_dir or client.find_root(vim.fn.getcwd())
    if vim.fn.isdirectory(root .. '/.autonomous/workflows') == 1 then
      session:ensure(function() end)
    end
  end
  -- Code lenses of the ledger and workflow files come from the server.
  vim.api.nvim_create_autocmd('BufReadPost', {
    group = vim.api.nvim_create_augroup('autonomous_attach', { clear = true }),
    pattern = { '*/.autonomous/feature_list.json', '*/.autonomous/workflows/*.yaml' },
    callback = function(ev)
      if session.id then
        client.attach(ev.buf, session.id)
      end
    end,
  })
end

local function current()
  if not session then
    M.setup({})
  end
  return session
end

--- :Autonomous {subcommand} [args]
function M.command(words)
  commands.run(current(), words)
end

--- Completion of :Autonomous.
function M.complete(arglead, cmdline)
  return commands.complete(session, arglead, cmdline)
end

--- For the statusline: the followed workflow as "Stock management 3/7 (42.9%) running",
--- or "" when there is none. Cheap: it reads what the notifications left.
function M.statusline()
  if not session then
    return ''
  end
  return session.store:statusline()
end

--- The workflows known, newest first (rows of autonomous.workflow.list).
function M.workflows()
  return session and session.store:list() or {}
end

--- The log buffer of a workflow (made, and filled from the server, if needed).
function M.log_buffer(id)
  return current().logs:buffer(id)
end

--- The LSP client id, once the server is started.
function M.client_id()
  return session and session.id
end

--- Stops the server: every running workflow is left paused and resumable.
function M.stop()
  if session and session.id then
    client.stop(session.id)
  end
end

return M
