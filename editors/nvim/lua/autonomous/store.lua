-- The workflows the editor knows of: rows of autonomous.workflow.list, kept
-- current by the server's notifications. One Store per plugin session.
local format = require('autonomous.format')

local Store = {}
Store.__index = Store

--- notify(msg, level) is called on state changes (vim.notify by default).
function Store.new(notify)
  return setmetatable({ rows = {}, current_id = nil, notify = notify or vim.notify }, Store)
end

local function empty_progress()
  return { total = 0, passing = 0, percent = 0, categories = {} }
end

-- Order: newest first (created later), ids break ties.
local function newer(a, b)
  if (a.createdAt or '') ~= (b.createdAt or '') then
    return (a.createdAt or '') > (b.createdAt or '')
  end
  return a.id < b.id
end

--- Replaces what is known with a fresh list (the plugin has one folder).
function Store:replace(rows)
  local fresh = {}
  for _, r in ipairs(rows or {}) do
    fresh[r.id] = r
  end
  self.rows = fresh
end

function Store:ensure(id)
  local w = self.rows[id]
  if not w then
    w = { id = id, name = id, status = 'pending', phase = '', progress = empty_progress(), costUsd = 0, sessions = 0, createdAt = os.date('!%Y-%m-%dT%H:%M:%SZ') }
    self.rows[id] = w
  end
  return w
end

local levels = {
  completed = vim.log.levels.INFO,
  failed = vim.log.levels.ERROR,
  stuck = vim.log.levels.WARN,
  waiting = vim.log.levels.WARN,
}

--- autonomous/state: updates the workflow and tells the user when its status changed.
function Store:on_state(p)
  if p.status == 'deleted' then
    local w = self.rows[p.workflowId]
    self.rows[p.workflowId] = nil
    if self.current_id == p.workflowId then
      self.current_id = nil
    end
    self.notify(string.format('Autonomous: %s deleted', w and w.name or p.workflowId), vim.log.levels.INFO)
    return
  end
  local w = self:ensure(p.workflowId)
  local before = w.status
  w.status, w.phase, w.reason = p.status, p.phase, p.reason
  if p.name and p.name ~= '' then
    w.name = p.name
  end
  if p.model and p.model ~= '' then
    w.model = p.model
  end
  w.costUsd = p.costUsd or w.costUsd
  if p.session and p.session > (w.sessions or 0) then
    w.sessions = p.session
  end
  w.updated = (vim.uv or vim.loop).now()
  if before ~= p.status then
    local msg = string.format('Autonomous: %s %s → %s', w.name, before or '?', p.status)
    if p.reason and p.reason ~= '' then
      msg = msg .. ': ' .. p.reason
    end
    self.notify(msg, levels[p.status] or vim.log.levels.INFO)
  end
end

--- autonomous/progress
function Store:on_progress(p)
  local w = self:ensure(p.workflowId)
  w.progress = {
    total = p.total,
    passing = p.passing,
    percent = p.percent,
    categories = p.categories or {},
    currentFeature = p.currentFeature,
  }
  w.updated = (vim.uv or vim.loop).now()
end

--- autonomous/session
function Store:on_session(p)
  local w = self.rows[p.workflowId]
  if w and p.session > (w.sessions or 0) then
    w.sessions = p.session
  end
end

function Store:get(id)
  return self.rows[id]
end

--- The workflows, newest first; filter(w) keeps some.
function Store:list(filter)
  local out = {}
  for _, w in pairs(self.rows) do
    if not filter or filter(w) then
      table.insert(out, w)
    end
  end
  table.sort(out, newer)
  return out
end

--- The workflow the statusline follows: the one last acted on while it
--- exists, else the running one updated last, else the newest.
function Store:current()
  if self.current_id and self.rows[self.current_id] then
    return self.rows[self.current_id]
  end
  local best
  for _, w in pairs(self.rows) do
    if w.status == 'running' or w.status == 'waiting' then
      if not best or (w.updated or 0) > (best.updated or 0) then
        best = w
      end
    end
  end
  return best or self:list()[1]
end

function Store:statusline()
  return format.statusline(self:current())
end

return Store
