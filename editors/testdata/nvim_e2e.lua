-- The Neovim end to end of editors_test.go, run as
--   nvim --headless -u NONE --cmd 'set rtp^=editors/nvim' -c 'runtime plugin/autonomous.lua' -c 'luafile nvim_e2e.lua'
-- in the demo project, with `autonomous` on PATH and the agent pointed at the
-- scripted model. It drives the plugin as a user would, answering its
-- prompts through vim.ui overrides, and exits 0 after printing "E2E OK", or
-- 1 after printing "E2E FAIL: <step>: <why>" and what it saw.
local env = vim.env
local spec_path = assert(env.AUTONOMOUS_E2E_SPEC, 'AUTONOMOUS_E2E_SPEC is not set')
local doc_line = tonumber(env.AUTONOMOUS_E2E_DOC_LINE)
local code_line = tonumber(env.AUTONOMOUS_E2E_CODE_LINE)
local run_ms = tonumber(env.AUTONOMOUS_E2E_RUN_MS or '') or 360000

local current_step = 'start'
local notes = {} -- every vim.notify, for the failure report

local function say(msg)
  io.stderr:write(msg .. '\n')
end

local function report_and_quit(why)
  say(string.format('E2E FAIL: %s: %s', current_step, why))
  say('statusline: ' .. tostring(require('autonomous').statusline()))
  say('workflows: ' .. vim.inspect(require('autonomous').workflows(), { newline = ' ', indent = '' }))
  say('notifications:')
  for _, n in ipairs(notes) do
    say('  ' .. n)
  end
  vim.cmd('cquit 1')
end

local function fail(why)
  error({ e2e = why }, 0)
end

local function step(name)
  current_step = name
  say('step: ' .. name)
end

local function wait(ms, what, cond)
  if not vim.wait(ms, cond, 100) then
    fail(string.format('%s did not happen within %d s', what, ms / 1000))
  end
end

-- What the user would type or pick, in order. vim.ui.select answers by a
-- substring of the item's label; anything unexpected fails the run.
local inputs, selects = {}, {}

vim.ui.input = function(opts, on_confirm)
  local answer = table.remove(inputs, 1)
  if answer == nil then
    report_and_quit('unexpected prompt: ' .. tostring(opts.prompt))
    return
  end
  say(string.format('  input %q -> %q', tostring(opts.prompt), answer))
  on_confirm(answer)
end

vim.ui.select = function(items, opts, on_choice)
  local want = table.remove(selects, 1)
  local labels = {}
  for i, item in ipairs(items) do
    labels[i] = opts.format_item and opts.format_item(item) or tostring(item)
  end
  if want == nil then
    report_and_quit(string.format('unexpected picker %q: %s', tostring(opts.prompt), table.concat(labels, ' | ')))
    return
  end
  for i, label in ipairs(labels) do
    if label:find(want, 1, true) then
      say(string.format('  select %q -> %q', tostring(opts.prompt), label))
      return on_choice(items[i], i)
    end
  end
  report_and_quit(string.format('picker %q has no item with %q: %s', tostring(opts.prompt), want, table.concat(labels, ' | ')))
end

vim.notify = function(msg, level)
  table.insert(notes, string.format('[%s] %s', tostring(level), msg))
  say('  notify: ' .. msg)
end

local function find(rows, pred)
  for _, w in ipairs(rows) do
    if pred(w) then
      return w
    end
  end
end

local function by_name(name)
  return find(require('autonomous').workflows(), function(w)
    return w.name == name
  end)
end

-- The processes running the long session's `sleep 60.417`, by pid.
local function sleepers()
  local pids = {}
  for _, f in ipairs(vim.fn.glob('/proc/[0-9]*/cmdline', false, true)) do
    local h = io.open(f, 'rb')
    if h then
      local cmdline = h:read('*a') or ''
      h:close()
      if cmdline:find('sleep\0' .. '60.417', 1, true) then
        table.insert(pids, f:match('/proc/(%d+)/'))
      end
    end
  end
  return pids
end

-- Waits for a notification containing needle, among those after mark.
local function wait_note(mark, needle, ms)
  wait(ms or 15000, string.format('a notification with %q', needle), function()
    for i = mark + 1, #notes do
      if notes[i]:find(needle, 1, true) then
        return true
      end
    end
    return false
  end)
end

local function buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

local function run()
  step('setup')
  local autonomous = require('autonomous')
  autonomous.setup({ cmd = { 'autonomous', 'lsp' }, log_max_lines = 2000 })
  if vim.fn.exists(':Autonomous') ~= 2 then
    fail(':Autonomous is not defined by plugin/autonomous.lua')
  end

  step(':Autonomous new')
  vim.list_extend(inputs, { 'Stock management', spec_path })
  table.insert(selects, 'From a Markdown or text file')
  vim.cmd('Autonomous new')
  wait(60000, 'the new workflow to be listed', function()
    return by_name('Stock management') ~= nil
  end)
  local first = by_name('Stock management')
  if #inputs > 0 or #selects > 0 then
    fail('the plugin did not ask everything it should have; unused answers remain')
  end

  step(':Autonomous start')
  table.insert(selects, 'Stock management')
  vim.cmd('Autonomous start')
  local seen_running = false
  wait(run_ms, 'the statusline to show 100% and completed', function()
    local s = autonomous.statusline()
    seen_running = seen_running or s:find('running', 1, true) ~= nil
    return s:find('100%', 1, true) ~= nil and s:find('completed', 1, true) ~= nil
  end)
  say('  statusline: ' .. autonomous.statusline())
  if not seen_running then
    fail('the statusline never showed the workflow running')
  end
  if not autonomous.statusline():find('Stock management 7/7 (100%) completed', 1, true) then
    fail('unexpected statusline ' .. autonomous.statusline())
  end

  step('schema discrepancy in vim.diagnostic.get')
  local on_doc, on_code
  wait(30000, 'the D1 diagnostics on the doc and the code', function()
    on_doc, on_code = nil, nil
    for _, d in ipairs(vim.diagnostic.get()) do
      if d.source == 'autonomous' and (d.code == 'D1' or tostring(d.message):find('DELETE /api/items/:id', 1, true)) then
        local name = vim.api.nvim_buf_get_name(d.bufnr)
        if name:find('.schema/_index.md', 1, true) then
          on_doc = on_doc or d
        elseif name:find('src/routes.js', 1, true) then
          on_code = on_code or d
        end
      end
    end
    return on_doc ~= nil and on_code ~= nil
  end)
  if doc_line and on_doc.lnum ~= doc_line - 1 then
    fail(string.format('the doc diagnostic is on line %d, want %d', on_doc.lnum + 1, doc_line))
  end
  if code_line and on_code.lnum ~= code_line - 1 then
    fail(string.format('the code diagnostic is on line %d, want %d', on_code.lnum + 1, code_line))
  end
  if on_doc.severity ~= vim.diagnostic.severity.ERROR then
    fail('the discrepancy is an error, but its diagnostic has severity ' .. tostring(on_doc.severity))
  end
  say(string.format('  D1 at .schema/_index.md:%d and src/routes.js:%d: %s', on_doc.lnum + 1, on_code.lnum + 1, on_doc.message))

  step(':Autonomous log')
  vim.cmd('Autonomous log ' .. first.id)
  local log = autonomous.log_buffer(first.id)
  if vim.api.nvim_get_current_buf() ~= log then
    fail(string.format(':Autonomous log did not show the log buffer %d (%s); the current buffer is %d (%s)', log, vim.api.nvim_buf_get_name(log),
      vim.api.nvim_get_current_buf(), vim.api.nvim_buf_get_name(0)))
  end
  wait(15000, 'the log buffer to hold the whole run', function()
    local text = buffer_text(log)
    return text:find('npm test', 1, true) and text:find('denied', 1, true) and text:find('curl', 1, true)
  end)
  local lines = vim.api.nvim_buf_line_count(log)
  if lines > 2000 then
    fail(string.format('the log buffer has %d lines, over its bound of 2000', lines))
  end
  if vim.api.nvim_win_get_cursor(0)[1] ~= lines then
    fail('the log window does not follow the tail')
  end
  if vim.bo[log].buftype ~= 'nofile' or vim.bo[log].modifiable then
    fail('the log buffer is not a read-only scratch buffer')
  end
  say(string.format('  %d log lines; last: %s', lines, vim.api.nvim_buf_get_lines(log, -2, -1, false)[1]))

  step(':Autonomous stop on a long workflow')
  -- The name comes as an argument: the plugin asks only for the spec.
  table.insert(inputs, spec_path)
  table.insert(selects, 'From a Markdown or text file')
  vim.cmd('Autonomous new Long task')
  wait(60000, 'the second workflow to be listed', function()
    return by_name('Long task') ~= nil
  end)
  local second = by_name('Long task')
  vim.cmd('Autonomous start ' .. second.id)
  local long_log = autonomous.log_buffer(second.id)
  wait(90000, 'the long session to run its minute-long command', function()
    return #sleepers() > 0 and by_name('Long task').status == 'running'
  end)
  if not buffer_text(long_log):find('sleep 60.417', 1, true) then
    fail('the log buffer does not show the running command')
  end
  table.insert(selects, 'Long task')
  local asked = (vim.uv or vim.loop).hrtime()
  vim.cmd('Autonomous stop')
  wait(30000, 'the long workflow to be stopped and its command gone', function()
    return by_name('Long task').status == 'stopped' and #sleepers() == 0
  end)
  local took = ((vim.uv or vim.loop).hrtime() - asked) / 1e9
  say(string.format('  stopped %.1f s after :Autonomous stop; its log:', took))
  vim.wait(1000, function()
    return false
  end)
  for _, l in ipairs(vim.api.nvim_buf_get_lines(long_log, 0, -1, false)) do
    say('    ' .. l)
  end
  if not autonomous.statusline():find('Long task', 1, true) or not autonomous.statusline():find('stopped', 1, true) then
    fail('the statusline does not follow the stopped workflow: ' .. autonomous.statusline())
  end

  step(':Autonomous status and list')
  vim.cmd('Autonomous status ' .. first.id)
  wait(10000, ':Autonomous status to echo the record', function()
    return vim.fn.execute('messages'):find('status   completed', 1, true) ~= nil
  end)
  vim.cmd('Autonomous list')
  wait(10000, ':Autonomous list to echo both workflows', function()
    local m = vim.fn.execute('messages')
    return m:find(second.id, 1, true) ~= nil and m:find('stopped', 1, true) ~= nil
  end)

  step(':Autonomous spec, edited and written')
  local mark = #notes
  vim.cmd('Autonomous spec ' .. first.id)
  wait(10000, 'the spec to open', function()
    return vim.api.nvim_buf_get_name(0):find('.autonomous/app_spec.txt', 1, true) ~= nil
  end)
  vim.api.nvim_buf_set_lines(0, -1, -1, false, { '- Keep the route table in .schema/_index.md up to date.' })
  vim.cmd('write')
  wait_note(mark, 'spec of Stock management saved and committed')
  local subject = vim.fn.system({ 'git', '-C', by_name('Stock management').worktree, 'log', '-1', '--format=%s' })
  if not subject:find('update spec', 1, true) then
    fail('the saved spec is not the last commit of the workflow branch: ' .. subject)
  end

  step(':Autonomous import')
  mark = #notes
  vim.cmd('Autonomous import ' .. second.id .. ' ' .. vim.fn.fnameescape(spec_path))
  wait_note(mark, 'the spec of Long task is now')

  step(':Autonomous validate (latest results)')
  mark = #notes
  table.insert(selects, 'Show the latest results')
  vim.cmd('Autonomous validate')
  wait_note(mark, 'latest schema results: ')

  step(':Autonomous model')
  mark = #notes
  table.insert(selects, 'claude-opus-4-5')
  vim.cmd('Autonomous model')
  wait_note(mark, 'new workflows will use claude-opus-4-5')

  step(':Autonomous doctor')
  mark = #notes
  vim.cmd('Autonomous doctor')
  wait_note(mark, 'required check', 60000)
  local doctor = vim.fn.bufnr('autonomous://doctor')
  if doctor == -1 or not buffer_text(doctor):find('Doctor: ', 1, true) then
    fail('the doctor report buffer is missing')
  end

  step(':Autonomous delete')
  vim.list_extend(selects, { 'Long task', 'Delete, keep the branch' })
  vim.cmd('Autonomous delete')
  wait(30000, 'the deleted workflow to leave the list', function()
    return by_name('Long task') == nil
  end)
  if vim.api.nvim_buf_is_valid(long_log) then
    fail("the deleted workflow's log buffer is still there")
  end

  step('no error along the way')
  for _, n in ipairs(notes) do
    if n:find('^%[' .. vim.log.levels.ERROR .. '%]') then
      fail('an error was notified: ' .. n)
    end
  end
  if #inputs > 0 or #selects > 0 then
    fail(string.format('unused answers remain: inputs %s, selects %s', vim.inspect(inputs), vim.inspect(selects)))
  end

  step('shutdown')
  local id = autonomous.client_id()
  autonomous.stop()
  wait(20000, 'the server to shut down', function()
    return vim.lsp.get_client_by_id(id) == nil
  end)
  say('E2E OK')
  vim.cmd('qa!')
end

local ok, err = xpcall(run, function(e)
  if type(e) == 'table' and e.e2e then
    return e.e2e
  end
  return debug.traceback(tostring(e), 2)
end)
if not ok then
  report_and_quit(err)
end
