-- Unit tests of the Neovim plugin's parts that need no server: formatting,
-- the workflow store, the log buffers, completion and root detection. Run by
-- editors_test.go in a headless Neovim; prints "N passed, M failed" and exits
-- non-zero on any failure.
local passed, failed = 0, 0

local function test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
  else
    failed = failed + 1
    io.stderr:write(string.format('FAIL %s: %s\n', name, err))
  end
end

local function eq(got, want, what)
  if not vim.deep_equal(got, want) then
    error(string.format('%s: got %s, want %s', what or 'value', vim.inspect(got), vim.inspect(want)), 2)
  end
end

local format = require('autonomous.format')
local Store = require('autonomous.store')
local Logs = require('autonomous.log')
local commands = require('autonomous.commands')
local client = require('autonomous.client')

local function progress(passing, total)
  return { passing = passing, total = total, percent = total == 0 and 0 or math.floor(1000 * passing / total + 0.5) / 10 }
end

test('percent shows one decimal, none when whole', function()
  for _, c in ipairs({ { 0, '0%' }, { 42.857, '42.9%' }, { 99.96, '100%' }, { 100, '100%' }, { 12.5, '12.5%' } }) do
    eq(format.percent(c[1]), c[2], tostring(c[1]))
  end
end)

test('statusline text', function()
  eq(format.statusline(nil), '')
  eq(format.statusline({ id = 'a', name = 'Stock', status = 'running', progress = progress(3, 7) }), 'Stock 3/7 (42.9%) running')
  eq(format.statusline({ id = 'a', name = 'Stock', status = 'pending', progress = progress(0, 0) }), 'Stock: pending')
end)

test('log lines carry time, session and kind; continuation lines are indented', function()
  eq(format.log_lines({ time = '2026-01-01T12:04:05.5+02:00', session = 3, kind = 'tool', text = 'Bash: npm test' }), { '12:04:05 [s3] tool    Bash: npm test' })
  eq(format.log_lines({ time = '2026-01-01T12:04:05Z', session = 0, kind = 'text', text = 'a\r\nb' }), { '12:04:05 text    a', '         b' })
end)

test('the store notifies state changes, once each, and forgets deleted workflows', function()
  local said = {}
  local s = Store.new(function(msg, level)
    table.insert(said, { msg, level })
  end)
  s:replace({ { id = 'a', name = 'A', status = 'pending', progress = progress(0, 0), createdAt = '2026-01-01T00:00:00Z' } })
  s:on_state({ workflowId = 'a', status = 'running', phase = 'coding', model = 'm', costUsd = 0.1, session = 2 })
  s:on_state({ workflowId = 'a', status = 'running', phase = 'coding', model = 'm', costUsd = 0.2, session = 2 })
  s:on_progress({ workflowId = 'a', total = 4, passing = 4, percent = 100, categories = {} })
  s:on_state({ workflowId = 'a', status = 'completed', phase = 'coding', reason = 'all 4 features pass', model = 'm', costUsd = 0.3 })
  eq(#said, 2, 'notifications')
  eq(said[1][1], 'Autonomous: A pending → running')
  eq(said[2], { 'Autonomous: A running → completed: all 4 features pass', vim.log.levels.INFO })
  eq(s:statusline(), 'A 4/4 (100%) completed')
  eq(s:get('a').sessions, 2)
  s:on_state({ workflowId = 'a', status = 'deleted', phase = '', model = '', costUsd = 0 })
  eq(s:get('a'), nil)
  eq(s:statusline(), '')
end)

test('the statusline follows the workflow acted on, else the running one, else the newest', function()
  local s = Store.new(function() end)
  s:replace({
    { id = 'old', name = 'Old', status = 'completed', progress = progress(1, 1), createdAt = '2026-01-01T00:00:00Z' },
    { id = 'new', name = 'New', status = 'pending', progress = progress(0, 0), createdAt = '2026-01-02T00:00:00Z' },
  })
  eq(s:current().id, 'new', 'newest')
  s:on_state({ workflowId = 'old', status = 'running', phase = 'coding', model = 'm', costUsd = 0 })
  eq(s:current().id, 'old', 'running')
  s.current_id = 'new'
  eq(s:current().id, 'new', 'picked')
  s.current_id = 'gone'
  eq(s:current().id, 'old', 'picked but gone')
end)

test('a log buffer is bounded, merges its history, and follows the tail only from the last line', function()
  local tail_cb
  local logs = Logs.new({
    max_lines = 5,
    tail = function(_, cb)
      tail_cb = cb
    end,
  })
  local function e(sec, text)
    return { time = string.format('2026-01-01T10:00:%02dZ', sec), session = 1, kind = 'text', text = text }
  end
  logs:on_log({ workflowId = 'w', entries = { e(2, 'b'), e(3, 'c') } })
  local buf = logs:buffer('w')
  eq(vim.api.nvim_buf_get_lines(buf, 0, -1, false), { '' }, 'nothing before the history')
  tail_cb({ e(1, 'a'), e(2, 'b') })
  eq(vim.api.nvim_buf_get_lines(buf, 0, -1, false), { '10:00:01 [s1] text    a', '10:00:02 [s1] text    b', '10:00:03 [s1] text    c' })
  logs:show('w')
  local win = vim.api.nvim_get_current_win()
  for i = 4, 9 do
    logs:on_log({ workflowId = 'w', entries = { e(i, string.char(96 + i)) } })
  end
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  eq(#lines, 5, 'bounded')
  eq(lines[5], '10:00:09 [s1] text    i')
  eq(vim.api.nvim_win_get_cursor(win)[1], 5, 'follows the tail')
  vim.api.nvim_win_set_cursor(win, { 2, 0 })
  logs:on_log({ workflowId = 'w', entries = { e(10, 'j') } })
  eq(vim.api.nvim_win_get_cursor(win)[1], 1, 'a reader above the tail stays on the same line (one line went off the top)')
  eq(vim.bo[buf].modifiable, false)
  logs:close('w')
  eq(vim.api.nvim_buf_is_valid(buf), false, 'closed')
end)

test('completion: subcommands, then the ids of the workflows the subcommand accepts', function()
  local s = { store = Store.new(function() end) }
  s.store:replace({
    { id = 'run-1', status = 'running', progress = progress(0, 0) },
    { id = 'held-2', status = 'paused', progress = progress(0, 0) },
  })
  eq(commands.complete(s, 's', 'Autonomous s'), { 'status', 'start', 'stop', 'spec' })
  eq(commands.complete(s, '', 'Autonomous pause '), { 'run-1' })
  eq(commands.complete(s, '', 'Autonomous resume '), { 'held-2' })
  eq(commands.complete(s, 'h', 'Autonomous log h'), { 'held-2' })
  eq(commands.complete(s, '', 'Autonomous list '), {})
  eq(commands.complete(s, '', 'Autonomous nope '), {})
end)

test('every subcommand maps to an autonomous.* command, once', function()
  local seen = {}
  for name, id in pairs(commands.map()) do
    if not id:match('^autonomous%.') then
      error(name .. ' maps to ' .. id)
    end
    if seen[id] then
      error(id .. ' is mapped twice')
    end
    seen[id] = true
  end
  eq(#commands.SUBCOMMANDS, 14)
end)

test('the root is the nearest git root, a worktree included', function()
  local root = vim.fn.tempname()
  vim.fn.mkdir(root .. '/.git', 'p')
  vim.fn.mkdir(root .. '/src/deep', 'p')
  vim.fn.mkdir(root .. '/wt/sub', 'p')
  vim.fn.writefile({ 'gitdir: ' .. root .. '/.git/worktrees/wt' }, root .. '/wt/.git')
  local real = vim.fn.resolve(root)
  eq(vim.fn.resolve(client.find_root(root .. '/src/deep')), real)
  eq(vim.fn.resolve(client.find_root(root .. '/wt/sub')), real .. '/wt')
  local bare = vim.fn.tempname()
  vim.fn.mkdir(bare, 'p')
  eq(client.find_root(bare), bare, 'no repository: the directory itself')
end)

io.stdout:write(string.format('%d passed, %d failed\n', passed, failed))
vim.cmd(failed == 0 and 'qa!' or 'cquit 1')
