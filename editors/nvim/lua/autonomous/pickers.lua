-- What the :Autonomous subcommands ask when an argument is missing, through
-- vim.ui.select and vim.ui.input, so that the user's own UI plugins
-- (telescope-ui-select, dressing.nvim, ...) show them.
local format = require('autonomous.format')

local M = {}

--- Asks for a workflow among rows (already filtered); cb(workflow) only when one is chosen.
function M.workflow(rows, title, cb)
  if #rows == 0 then
    return
  end
  vim.ui.select(rows, { prompt = title, format_item = format.workflow_item, kind = 'autonomous.workflow' }, function(w)
    if w then
      cb(w)
    end
  end)
end

--- Asks for a model; the configured default is listed first. cb(id).
function M.model(result, cb)
  local models = vim.deepcopy(result.models or {})
  table.sort(models, function(a, b)
    return (a.id == result.default and 1 or 0) > (b.id == result.default and 1 or 0)
  end)
  vim.ui.select(models, {
    prompt = 'Model for new workflows',
    kind = 'autonomous.model',
    format_item = function(m)
      local prices = m.prices or {}
      return string.format('%s (%s%s) · $%s in / $%s out per million tokens', m.label ~= '' and m.label or m.id, m.id, m.id == result.default and ', default' or '', prices.input or '?', prices.output or '?')
    end,
  }, function(m)
    if m then
      cb(m.id)
    end
  end)
end

--- Confirms a delete and asks whether the branch goes too. cb(delete_branch).
function M.confirm_delete(w, cb)
  local choices = { 'Delete, keep the branch', 'Delete with the branch (only if merged)', 'Cancel' }
  vim.ui.select(choices, { prompt = string.format('Delete %s (%s) and its worktree?', w.name, w.id), kind = 'autonomous.confirm' }, function(_, i)
    if i == 1 or i == 2 then
      cb(i == 2)
    end
  end)
end

--- schema.validate: a workflow to run a validation session for, or none to publish the latest results again. cb(id or nil).
function M.validate_target(rows, cb)
  local items = { { label = 'Show the latest results (no new session)' } }
  for _, w in ipairs(rows) do
    table.insert(items, { label = 'Validate in ' .. format.workflow_item(w), id = w.id })
  end
  vim.ui.select(items, {
    prompt = 'Validate the architecture docs against the code',
    kind = 'autonomous.validate',
    format_item = function(i)
      return i.label
    end,
  }, function(item)
    if item then
      cb(item.id)
    end
  end)
end

M.SPEC_FILE = 'From a Markdown or text file…'
M.SPEC_BUFFER = 'From the current buffer'
M.SPEC_WRITE = 'Write it in a new buffer (:w creates the workflow)'

--- New workflow: a name (unless given), then where the spec comes from.
--- cb({ name = ..., spec = ... | specPath = ... | write = true }).
function M.new_workflow(name, cb)
  local function source(n)
    local choices = { M.SPEC_FILE, M.SPEC_WRITE }
    local cur = vim.api.nvim_get_current_buf()
    local text = table.concat(vim.api.nvim_buf_get_lines(cur, 0, -1, false), '\n')
    if text:match('%S') then
      table.insert(choices, 2, M.SPEC_BUFFER)
    end
    vim.ui.select(choices, { prompt = 'The spec of ' .. n .. ': what should be built?', kind = 'autonomous.spec' }, function(choice)
      if choice == M.SPEC_FILE then
        vim.ui.input({ prompt = 'Spec file: ', completion = 'file' }, function(path)
          if path and path:match('%S') then
            cb({ name = n, specPath = vim.fn.fnamemodify(vim.trim(path), ':p') })
          end
        end)
      elseif choice == M.SPEC_BUFFER then
        cb({ name = n, spec = text })
      elseif choice == M.SPEC_WRITE then
        cb({ name = n, write = true })
      end
    end)
  end
  if name and name:match('%S') then
    return source(vim.trim(name))
  end
  vim.ui.input({ prompt = 'Workflow name: ' }, function(n)
    if n and n:match('%S') then
      source(vim.trim(n))
    end
  end)
end

return M
