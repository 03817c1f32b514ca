-- One scratch buffer per workflow holding its live log: fed by autonomous/log,
-- with the history from autonomous.log.tail when the buffer is made (entries
-- that arrive meanwhile wait, and are not written twice). The buffer is
-- bounded: past max_lines the oldest lines go. A window whose cursor is on
-- the last line follows the tail.
local format = require('autonomous.format')

local Logs = {}
Logs.__index = Logs

--- tail(id, cb) asks the server for a workflow's latest entries and calls
--- cb(entries or nil, err).
function Logs.new(opts)
  return setmetatable({ books = {}, tail = opts.tail, max_lines = opts.max_lines or 5000 }, Logs)
end

local function key(e)
  return table.concat({ tostring(e.time), tostring(e.session), tostring(e.kind), tostring(e.text) }, '\0')
end

local function buf_name(id)
  return 'autonomous://log/' .. id
end

function Logs:write(book, entries)
  local buf = book.buf
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  local lines = {}
  for _, e in ipairs(entries) do
    vim.list_extend(lines, format.log_lines(e))
  end
  if #lines == 0 then
    return
  end
  -- Windows on the last line follow the tail; others keep their place.
  local count = vim.api.nvim_buf_line_count(buf)
  local empty = count == 1 and vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] == ''
  local following = {}
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    if vim.api.nvim_win_get_cursor(win)[1] >= count then
      table.insert(following, win)
    end
  end
  vim.bo[buf].modifiable = true
  if empty then
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  else
    vim.api.nvim_buf_set_lines(buf, -1, -1, false, lines)
  end
  local over = vim.api.nvim_buf_line_count(buf) - self.max_lines
  if over > 0 then
    vim.api.nvim_buf_set_lines(buf, 0, over, false, {})
  end
  vim.bo[buf].modifiable = false
  local last = vim.api.nvim_buf_line_count(buf)
  for _, win in ipairs(following) do
    vim.api.nvim_win_set_cursor(win, { last, 0 })
  end
end

--- The book of a workflow, its buffer made (and its history asked for) the first time.
function Logs:open(id)
  local book = self.books[id]
  if book and vim.api.nvim_buf_is_valid(book.buf) then
    return book
  end
  local buf = vim.fn.bufnr(buf_name(id))
  if buf == -1 then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, buf_name(id))
  end
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = 'autonomouslog'
  book = { buf = buf, filling = true, waiting = {} }
  self.books[id] = book
  self.tail(id, function(entries, err)
    local seen = {}
    local all = {}
    if err then
      table.insert(all, { time = '', session = 0, kind = 'warning', text = 'the earlier entries could not be read: ' .. tostring(err) })
    end
    for _, e in ipairs(entries or {}) do
      seen[key(e)] = true
      table.insert(all, e)
    end
    for _, e in ipairs(book.waiting) do
      if not seen[key(e)] then
        table.insert(all, e)
      end
    end
    book.filling, book.waiting = false, {}
    self:write(book, all)
  end)
  return book
end

--- autonomous/log: live entries, into the workflow's buffer.
function Logs:on_log(p)
  local book = self:open(p.workflowId)
  if book.filling then
    vim.list_extend(book.waiting, p.entries or {})
    return
  end
  self:write(book, p.entries or {})
end

--- The buffer of a workflow's log (made if needed).
function Logs:buffer(id)
  return self:open(id).buf
end

--- :Autonomous log: shows the buffer in a split (or the window already showing it), at the tail.
function Logs:show(id)
  local buf = self:buffer(id)
  local wins = vim.fn.win_findbuf(buf)
  if #wins > 0 then
    vim.api.nvim_set_current_win(wins[1])
  else
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, buf)
  end
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(buf), 0 })
  return buf
end

--- A deleted workflow's buffer goes too.
function Logs:close(id)
  local book = self.books[id]
  self.books[id] = nil
  if book and vim.api.nvim_buf_is_valid(book.buf) then
    vim.api.nvim_buf_delete(book.buf, { force = true })
  end
end

return Logs
