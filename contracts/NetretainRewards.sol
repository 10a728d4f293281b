// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title NetretainRewards: loyalty rewards a customer owns, as ERC-1155 tokens.
/// @notice Only an account holding ISSUER_ROLE mints (netretain, after taking the reward's points
/// off the customer's balance). A holder may keep or transfer tokens like any ERC-1155. Redeeming
/// burns the caller's own tokens and emits Redeemed, which netretain reads back into its ledger
/// as the reward (a discount, or access) once per (transaction, log index). A burned token is
/// gone, so it cannot be redeemed twice.
contract NetretainRewards is ERC1155, AccessControl {
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    event Redeemed(address indexed holder, uint256 indexed id, uint256 amount);

    constructor(address issuer, string memory uri_) ERC1155(uri_) {
        _grantRole(DEFAULT_ADMIN_ROLE, issuer);
        _grantRole(ISSUER_ROLE, issuer);
    }

    /// @notice Mint `amount` of reward `id` to a customer's wallet (issuer only).
    function mint(address to, uint256 id, uint256 amount) external onlyRole(ISSUER_ROLE) {
        _mint(to, id, amount, "");
    }

    /// @notice Burn `amount` of the caller's own reward `id`: the redemption netretain reads back.
    function redeem(uint256 id, uint256 amount) external {
        _burn(msg.sender, id, amount);
        emit Redeemed(msg.sender, id, amount);
    }

    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC1155, AccessControl)
        returns (bool)
    {
        return super.supportsInterface(interfaceId);
    }
}
