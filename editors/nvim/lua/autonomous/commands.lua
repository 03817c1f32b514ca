-- The :Autonomous subcommands, each mapped to the server command it runs.
-- This table is one of the three lists editors/editors_test.go compares: the
-- server's commands (lsp/protocol), the VS Code extension's package.json, and
-- map() below. Server commands without a subcommand are run on the user's
-- behalf: spec.save when a spec buffer is written, config.update by
-- :Autonomous model, runtime.status and config.get by nothing yet (the
-- server's Subcommand field says which).
local format = require('autonomous.format')
local pickers = require('autonomous.pickers')

local M = {}

local runnable = { 'pending', 'paused', 'waiting', 'stuck', 'stopped', 'failed' }

local function set(list)
  local s = {}
  for _, v in ipairs(list or {}) do
    s[v] = true
  end
  return s
end

local function count(n, noun)
  n = n or 0
  return string.format('%d %s%s', n, noun, n == 1 and '' or 's')
end

local function echo(lines, hl)
  local chunks = {}
  for i, l in ipairs(lines) do
    table.insert(chunks, { l .. (i < #lines and '\n' or ''), hl or 'Normal' })
  end
  vim.api.nvim_echo(chunks, true, {})
end

--- Runs fn(w) on the workflow named by id, or on one the user picks among
--- those the subcommand accepts (from a fresh list).
local function with_workflow(s, sub, id, fn)
  if id and id ~= '' then
    local w = s.store:get(id)
    if w then
      return fn(w)
    end
    -- Not known yet (made elsewhere): the server says if the id is wrong.
    return fn({ id = id, name = id })
  end
  s:refresh(function()
    local ok = set(sub.accepts)
    local rows = s.store:list(function(w)
      return sub.accepts == nil or ok[w.status]
    end)
    if #rows == 0 then
      local all = #s.store:list()
      local why = all == 0 and 'there is no workflow yet (:Autonomous new creates one)' or ('none is ' .. table.concat(sub.accepts or {}, ', '))
      s:notify(string.format('Autonomous %s: %s', sub.name, why), vim.log.levels.INFO)
      return
    end
    pickers.workflow(rows, sub.title, fn)
  end)
end

local function created(s, wf)
  s.store.current_id = wf.id
  s:refresh()
  s:notify(string.format('Autonomous: created %s (%s) on branch %s; :Autonomous start %s runs it', wf.name, wf.id, wf.branch or '?', wf.id), vim.log.levels.INFO)
end

-- A buffer to type a new workflow's spec in; writing it creates the
-- workflow. A failed create keeps the buffer and its text.
local function spec_writer(s, name)
  vim.cmd('botright new')
  local buf = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_name(buf, 'autonomous://new/' .. name)
  vim.bo[buf].buftype = 'acwrite'
  vim.bo[buf].swapfile = false
  vim.bo[buf].filetype = 'markdown'
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { '# ' .. name, '', 'What should be built, and how do we know it works?' })
  vim.api.nvim_create_autocmd('BufWriteCmd', {
    buffer = buf,
    callback = function()
      local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
      s:exec('new', 'autonomous.workflow.create', { name = name, spec = text }, function(wf)
        vim.bo[buf].modified = false
        created(s, wf)
        if vim.api.nvim_buf_is_valid(buf) then
          vim.api.nvim_buf_delete(buf, { force = true })
        end
      end)
    end,
  })
end

-- Writing a spec buffer sends it to the server, which commits it on the workflow's branch.
local function watch_spec(s, buf, w)
  local group = vim.api.nvim_create_augroup('autonomous_spec_' .. buf, { clear = true })
  vim.api.nvim_create_autocmd('BufWritePost', {
    group = group,
    buffer = buf,
    callback = function()
      local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'
      s:exec('spec', 'autonomous.spec.save', { id = w.id, text = text }, function()
        s:notify(string.format('Autonomous: spec of %s saved and committed', w.name), vim.log.levels.INFO)
      end)
    end,
  })
end

--- The subcommands, in the server's order. accepts: the statuses a
--- workflow must have to be offered by the picker and the completion.
M.SUBCOMMANDS = {
  {
    name = 'new',
    id = 'autonomous.workflow.create',
    title = 'New workflow',
    usage = 'new [name]',
    run = function(s, args)
      pickers.new_workflow(table.concat(args, ' '), function(a)
        if a.write then
          return spec_writer(s, a.name)
        end
        s:exec('new', 'autonomous.workflow.create', a, function(wf)
          created(s, wf)
        end)
      end)
    end,
  },
  {
    name = 'list',
    id = 'autonomous.workflow.list',
    title = 'Workflows',
    usage = 'list',
    run = function(s)
      s:refresh(function()
        local rows = s.store:list()
        if #rows == 0 then
          return echo({ 'No workflow yet: :Autonomous new creates one' })
        end
        local lines = {}
        for _, w in ipairs(rows) do
          table.insert(lines, string.format('%-32s %-10s %-16s $%.2f  %s', w.id, w.status, format.progress(w.progress), w.costUsd or 0, w.name))
        end
        echo(lines)
      end)
    end,
  },
  {
    name = 'status',
    id = 'autonomous.workflow.get',
    title = 'Show workflow',
    usage = 'status [id]',
    workflow = true,
    run = function(s, args, sub)
      with_workflow(s, sub, args[1], function(w)
        s:exec(sub.name, sub.id, { id = w.id }, function(r)
          echo(format.record(r))
        end)
      end)
    end,
  },
  {
    name = 'start',
    id = 'autonomous.workflow.start',
    title = 'Start workflow',
    usage = 'start [id] [model]',
    workflow = true,
    accepts = runnable,
    run = function(s, args, sub)
      with_workflow(s, sub, args[1], function(w)
        s:exec(sub.name, sub.id, { id = w.id, model = args[2] }, function()
          s.store.current_id = w.id
          s:notify(string.format('Autonomous: starting %s; :Autonomous log %s follows it', w.name, w.id), vim.log.levels.INFO)
        end)
      end)
    end,
  },
  {
    name = 'pause',
    id = 'autonomous.workflow.pause',
    title = 'Pause workflow',
    usage = 'pause [id]',
    workflow = true,
    accepts = { 'running', 'waiting' },
  },
  {
    name = 'resume',
    id = 'autonomous.workflow.resume',
    title = 'Resume workflow',
    usage = 'resume [id]',
    workflow = true,
    accepts = { 'paused', 'waiting', 'stuck', 'stopped', 'failed' },
  },
  {
    name = 'stop',
    id = 'autonomous.workflow.stop',
    title = 'Stop workflow',
    usage = 'stop [id]',
    workflow = true,
    accepts = { 'running', 'waiting', 'paused', 'pending' },
  },
  {
    name = 'delete',
    id = 'autonomous.workflow.delete',
    title = 'Delete workflow',
    usage = 'delete [id]',
    workflow = true,
    run = function(s, args, sub)
      with_workflow(s, sub, args[1], function(w)
        pickers.confirm_delete(w, function(delete_branch)
          s:exec(sub.name, sub.id, { id = w.id, deleteBranch = delete_branch }, function(r)
            s.logs:close(w.id)
            s:notify('Autonomous: ' .. (r.message or ('deleted ' .. w.id)), vim.log.levels.INFO)
          end)
        end)
      end)
    end,
  },
  {
    name = 'validate',
    id = 'autonomous.schema.validate',
    title = 'Validate schema',
    usage = 'validate [id]',
    workflow = true,
    run = function(s, args, sub)
      local function go(id)
        s:exec(sub.name, sub.id, { id = id }, function(r)
          if r.started and r.started ~= '' then
            s:notify('Autonomous: validating the schema in ' .. r.started .. '; discrepancies arrive as diagnostics', vim.log.levels.INFO)
          else
            local parts = {}
            for _, x in ipairs(r.results or {}) do
              table.insert(parts, string.format('%s: %s', x.workflowId, x.problem or string.format('%s, %s', count(x.errors, 'error'), count(x.warnings, 'warning'))))
            end
            s:notify('Autonomous: latest schema results: ' .. (#parts > 0 and table.concat(parts, '; ') or 'none yet'), vim.log.levels.INFO)
          end
        end)
      end
      if args[1] then
        return go(args[1])
      end
      s:refresh(function()
        pickers.validate_target(s.store:list(), go)
      end)
    end,
  },
  {
    name = 'spec',
    id = 'autonomous.spec.get',
    title = 'Edit spec',
    usage = 'spec [id]',
    workflow = true,
    run = function(s, args, sub)
      with_workflow(s, sub, args[1], function(w)
        s:exec(sub.name, sub.id, { id = w.id }, function(r)
          vim.cmd('edit ' .. vim.fn.fnameescape(r.path))
          watch_spec(s, vim.api.nvim_get_current_buf(), w)
        end)
      end)
    end,
  },
  {
    name = 'import',
    id = 'autonomous.spec.import',
    title = 'Import spec',
    usage = 'import [id] [file]',
    workflow = true,
    run = function(s, args, sub)
      with_workflow(s, sub, args[1], function(w)
        local function go(path)
          s:exec(sub.name, sub.id, { id = w.id, path = vim.fn.fnamemodify(path, ':p') }, function()
            s:notify(string.format('Autonomous: the spec of %s is now %s (committed)', w.name, path), vim.log.levels.INFO)
          end)
        end
        if args[2] then
          return go(args[2])
        end
        vim.ui.input({ prompt = 'Import spec from: ', completion = 'file' }, function(path)
          if path and path:match('%S') then
            go(vim.trim(path))
          end
        end)
      end)
    end,
  },
  {
    name = 'log',
    id = 'autonomous.log.tail',
    title = 'Show log',
    usage = 'log [id]',
    workflow = true,
    run = function(s, args, sub)
      with_workflow(s, sub, args[1], function(w)
        s:ensure(function()
          s.logs:show(w.id)
        end)
      end)
    end,
  },
  {
    name = 'model',
    id = 'autonomous.models.list',
    title = 'Select model',
    usage = 'model',
    run = function(s, _, sub)
      s:exec(sub.name, sub.id, nil, function(r)
        pickers.model(r, function(id)
          s:exec(sub.name, 'autonomous.config.update', { key = 'defaults.model', value = id, scope = 'project' }, function(u)
            s:notify(string.format('Autonomous: new workflows will use %s (written to %s)', id, u.file or '?'), vim.log.levels.INFO)
          end)
        end)
      end)
    end,
  },
  {
    name = 'doctor',
    id = 'autonomous.doctor',
    title = 'Doctor',
    usage = 'doctor',
    run = function(s, _, sub)
      s:exec(sub.name, sub.id, nil, function(r)
        local buf = vim.fn.bufnr('autonomous://doctor')
        if buf == -1 then
          buf = vim.api.nvim_create_buf(false, true)
          vim.api.nvim_buf_set_name(buf, 'autonomous://doctor')
          vim.bo[buf].buftype = 'nofile'
        end
        vim.bo[buf].modifiable = true
        vim.api.nvim_buf_set_lines(buf, 0, -1, false, format.doctor(r))
        vim.bo[buf].modifiable = false
        if #vim.fn.win_findbuf(buf) == 0 then
          vim.cmd('botright split')
          vim.api.nvim_win_set_buf(0, buf)
        end
        s:notify(r.passed and 'Autonomous: every required check passes' or 'Autonomous: some required checks fail; see the fixes', r.passed and vim.log.levels.INFO or vim.log.levels.WARN)
      end)
    end,
  },
}

-- Pause, resume and stop only send the command and say what happened.
local function control(s, args, sub)
  with_workflow(s, sub, args[1], function(w)
    s:exec(sub.name, sub.id, { id = w.id }, function(r)
      s.store.current_id = w.id
      s:notify(string.format('Autonomous: %s: %s', w.name, r.message or sub.name), vim.log.levels.INFO)
    end)
  end)
end

local by_name = {}
for _, sub in ipairs(M.SUBCOMMANDS) do
  sub.run = sub.run or control
  by_name[sub.name] = sub
end

--- The subcommand → server command id map (printed as JSON by editors_test.go).
function M.map()
  local m = {}
  for _, sub in ipairs(M.SUBCOMMANDS) do
    m[sub.name] = sub.id
  end
  return m
end

function M.usage()
  local lines = { 'usage: :Autonomous {subcommand} [args]' }
  for _, sub in ipairs(M.SUBCOMMANDS) do
    table.insert(lines, string.format('  %-20s %s', sub.usage, sub.title))
  end
  return lines
end

--- Runs :Autonomous with its words.
function M.run(s, words)
  local name = words[1]
  local sub = name and by_name[name]
  if not sub then
    if name then
      vim.notify(string.format('Autonomous: unknown subcommand %q', name), vim.log.levels.ERROR)
    end
    return echo(M.usage())
  end
  sub.run(s, vim.list_slice(words, 2), sub)
end

--- Completion of :Autonomous: subcommands, then workflow ids (those the
--- subcommand accepts), then files for import.
function M.complete(s, arglead, cmdline)
  local words = vim.split(cmdline, '%s+', { trimempty = false })
  -- words[1] is the command itself; the word being completed is the last.
  local n = #words - 1
  local out = {}
  if n <= 1 then
    for _, sub in ipairs(M.SUBCOMMANDS) do
      if vim.startswith(sub.name, arglead) then
        table.insert(out, sub.name)
      end
    end
    return out
  end
  local sub = by_name[words[2]]
  if not sub then
    return out
  end
  if n == 2 and sub.workflow and s then
    local ok = set(sub.accepts)
    for _, w in ipairs(s.store:list()) do
      if (sub.accepts == nil or ok[w.status]) and vim.startswith(w.id, arglead) then
        table.insert(out, w.id)
      end
    end
    return out
  end
  if n == 3 and sub.name == 'import' then
    return vim.fn.getcompletion(arglead, 'file')
  end
  return out
end

return M
