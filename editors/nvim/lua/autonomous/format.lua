-- Text the plugin shows: the statusline, picker rows, log lines, the doctor's
-- report. Pure functions, the same wording as the VS Code extension.
local M = {}

--- "42.9%", "100%": one decimal, none when whole.
function M.percent(p)
  local r = math.floor((p or 0) * 10 + 0.5) / 10
  if r == math.floor(r) then
    return string.format('%d%%', r)
  end
  return string.format('%.1f%%', r)
end

--- "3/7 (42.9%)", or "no features yet" before the initializer wrote the ledger.
function M.progress(p)
  if not p or (p.total or 0) == 0 then
    return 'no features yet'
  end
  return string.format('%d/%d (%s)', p.passing or 0, p.total, M.percent(p.percent))
end

--- The statusline text of a workflow: "Stock management 3/7 (42.9%) running",
--- or "Long task: stopped" before it has a ledger.
function M.statusline(w)
  if not w then
    return ''
  end
  -- Before the initializer wrote the ledger there is no count to show.
  if not w.progress or (w.progress.total or 0) == 0 then
    return string.format('%s: %s', w.name or w.id, w.status or '?')
  end
  return string.format('%s %s %s', w.name or w.id, M.progress(w.progress), w.status or '?')
end

--- A picker row: "Stock management (stock-management-1a2b) · running · 3/7 (42.9%)".
function M.workflow_item(w)
  return string.format('%s (%s) · %s · %s', w.name or w.id, w.id, w.status or '?', M.progress(w.progress))
end

--- "12:04:05": the clock part of an RFC 3339 time, which the server writes in the machine's zone.
function M.clock(time)
  return (type(time) == 'string' and time:match('T(%d%d:%d%d:%d%d)')) or tostring(time)
end

--- The buffer lines of one log entry: "12:04:05 [s3] tool    Bash: npm test",
--- continuation lines indented.
function M.log_lines(e)
  local head = M.clock(e.time) .. ' '
  if (e.session or 0) > 0 then
    head = head .. string.format('[s%d] ', e.session)
  end
  head = head .. string.format('%-7s ', e.kind or '')
  local out = {}
  local text = tostring(e.text or ''):gsub('\r\n', '\n')
  for line in (text .. '\n'):gmatch('(.-)\n') do
    if #out == 0 then
      table.insert(out, head .. line)
    else
      table.insert(out, string.rep(' ', 9) .. line)
    end
  end
  return out
end

--- The doctor's report, one check a line, with the fix under each failure.
function M.doctor(r)
  local mark = { ok = '✓', warn = '!', fail = '✗' }
  local lines = { r.passed and 'Doctor: every required check passed.' or 'Doctor: some required checks failed.' }
  for _, c in ipairs(r.checks or {}) do
    table.insert(lines, string.format('%s %s%s: %s', mark[c.status] or '?', c.name, c.required and '' or ' (optional)', c.detail or ''))
    if c.fix and c.fix ~= '' and c.status ~= 'ok' then
      table.insert(lines, '    fix: ' .. c.fix)
    end
  end
  return lines
end

--- A workflow's record (autonomous.workflow.get) as lines for :Autonomous status.
function M.record(w)
  local lines = {
    string.format('%s (%s)', w.name or w.id, w.id),
    string.format('  status   %s%s%s', w.status or '?', (w.phase and w.phase ~= '') and (', ' .. w.phase) or '', (w.reason and w.reason ~= '') and (': ' .. w.reason) or ''),
    string.format('  progress %s', M.progress(w.progress)),
    string.format('  model    %s', w.model or '?'),
    string.format('  branch   %s', w.branch or '?'),
    string.format('  worktree %s', w.worktree or '?'),
  }
  local totals = w.totals or {}
  table.insert(lines, string.format('  sessions %d, $%.4f', totals.sessions or #(w.sessions or {}), totals.costUsd or w.costUsd or 0))
  for _, s in ipairs(w.sessions or {}) do
    table.insert(lines, string.format('    #%d %-17s %-12s $%.4f  %d newly passing', s.number or 0, s.phase or '', s.outcome or '', s.costUsd or 0, s.newlyPassing or 0))
  end
  return lines
end

return M
